package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.volumed.cli.VolumeCtlRun;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumectl batch and import-microvm against a real (in-process) volumed. */
class VolumeCtlBatchTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MIB = 1L << 20;
  private static final Path EXAMPLE = Path.of("conf/examples/microvm-volumes.json");

  @TempDir static Path dir;
  private static TestDaemon daemon;
  private static int counter;

  @BeforeAll
  static void startDaemon() throws Exception {
    Tools.assumeInstalled("mkfs.ext4", "mkfs.xfs", "blkid");
    daemon = TestDaemon.start(dir.resolve("daemon"));
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  /** volumectl with {@code --socket} pointing at the test daemon. */
  private static VolumeCtlRun ctl(String... args) {
    return VolumeCtlRun.against(daemon.socket(), args);
  }

  /** A fresh folder name for one test's volumes. */
  private static String fresh(String what) {
    return what + "-" + (++counter);
  }

  private static Path write(String json) throws Exception {
    Path file = dir.resolve("batch-" + (++counter) + ".json");
    Files.writeString(file, json);
    return file;
  }

  private static JsonNode get(String name) throws Exception {
    return daemon.request("{\"op\":\"get\",\"name\":\"" + name + "\"}");
  }

  @Test
  void batchCreatesWhatTheFileSaysAndListsItInTheTable() throws Exception {
    String vm = fresh("vm");
    Path file = write("[{\"name\":\"" + vm + "/root.img\",\"size\":\"64M\",\"label\":\"root\"},"
        + "{\"name\":\"" + vm + "/swap.img\",\"size\":\"32M\",\"fs\":\"swap\",\"allocation\":\"fallocate\"},"
        + "{\"name\":\"" + vm + "/raw.img\",\"size\":16777216,\"fs\":\"none\"}]");
    VolumeCtlRun run = ctl("batch", file.toString());
    assertEquals(0, run.exit(), run.describe());
    String[] lines = run.out().split("\n");
    assertTrue(lines[0].matches("NAME +SIZE +FS +ALLOCATION +OUTCOME"), run.describe());
    assertTrue(lines[1].matches(vm + "/root.img +64\\.0 MiB +ext4 +sparse +created"), run.describe());
    assertTrue(lines[2].matches(vm + "/swap.img +32\\.0 MiB +swap +fallocate +created"), run.describe());
    assertTrue(lines[3].matches(vm + "/raw.img +16\\.0 MiB +none +sparse +created"), run.describe());
    assertTrue(lines[4].matches("3 created, 0 existed, 0 failed in [0-9.:]+( s)? \\([0-9.]+ volumes/s\\)"),
        run.describe());
    // not a terminal: one plain progress line per volume on stderr
    List<String> progress = run.err().lines().toList();
    assertEquals(3, progress.size(), run.describe());
    assertTrue(progress.get(2).matches("\\[3/3\\] " + vm + "/[a-z]+\\.img created"), run.describe());
    JsonNode root = get(vm + "/root.img").get("result");
    assertEquals(64 * MIB, root.get("size").asLong());
    assertEquals("root", root.get("label").asText());
    assertEquals("fallocate", get(vm + "/swap.img").at("/result/allocation").asText());
  }

  @Test
  void batchReadsStdinAndPrintsTheRawReplyWithJson() throws Exception {
    String vm = fresh("stdin");
    String volumes = "[{\"name\":\"" + vm + "/a.img\",\"size\":\"16M\",\"fs\":\"none\"}]";
    java.io.InputStream saved = System.in;
    VolumeCtlRun run;
    try {
      System.setIn(new java.io.ByteArrayInputStream(volumes.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      run = ctl("--json", "batch", "-");
    } finally {
      System.setIn(saved);
    }
    assertEquals(0, run.exit(), run.describe());
    JsonNode result = JSON.readTree(run.out());
    assertEquals(vm + "/a.img", result.at("/created/0/name").asText());
    assertEquals(0, result.get("failed").size());
    assertEquals(1, result.at("/stats/volumes").asInt());
  }

  @Test
  void nonAtomicBatchWithAFailingMemberExitsOneAndKeepsTheOthers() throws Exception {
    String vm = fresh("partial");
    Path file = write(members(vm));
    VolumeCtlRun run = ctl("batch", file.toString(), "--no-atomic");
    assertEquals(1, run.exit(), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches(vm + "/small.img +16\\.0 MiB +xfs +- +failed FORMAT_FAILED: .*")),
        run.describe());
    assertTrue(run.out().contains("2 created, 0 existed, 1 failed in "), run.describe());
    assertTrue(run.err().lines().anyMatch(l -> l.matches("\\[\\d/3\\] " + vm + "/small.img failed FORMAT_FAILED.*")),
        run.describe());
    assertTrue(get(vm + "/a.img").get("ok").asBoolean());
    assertTrue(get(vm + "/b.img").get("ok").asBoolean());
    assertEquals("NOT_FOUND", get(vm + "/small.img").at("/error/code").asText());
  }

  @Test
  void atomicBatchWithAFailingMemberExitsOnePrintsOutcomesAndLeavesNothing() throws Exception {
    String vm = fresh("atomic");
    Path file = write(members(vm));
    VolumeCtlRun run = ctl("batch", file.toString());
    assertEquals(1, run.exit(), run.describe());
    assertTrue(run.err().lines().anyMatch(l -> l.startsWith("error FORMAT_FAILED: atomic batch of 3 volumes rolled back")),
        run.describe());
    assertFalse(run.err().contains("outcomes"), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches(vm + "/a.img +64\\.0 MiB +ext4 +- +rolled back")),
        run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches(vm + "/small.img +16\\.0 MiB +xfs +- +failed FORMAT_FAILED: .*")),
        run.describe());
    // b.img comes after the failing volume: it was rolled back, or not started at all when the
    // failure came first.
    assertTrue(run.out().lines().anyMatch(l -> l.matches(vm + "/b.img +64\\.0 MiB +none +- +(rolled back|not started)")),
        run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches(
        "0 created, 0 existed, (2 rolled back, 1 failed|1 rolled back, 1 not started, 1 failed) in .*")), run.describe());
    for (String name : List.of("a.img", "b.img", "small.img")) {
      assertEquals("NOT_FOUND", get(vm + "/" + name).at("/error/code").asText(), name);
      assertFalse(Files.exists(daemon.pool().resolve(vm).resolve(name)), name);
    }
  }

  @Test
  void aBatchVolumedRefusesNamesTheVolumeAndExitsOne() throws Exception {
    Path file = write("[{\"name\":\"ok.img\",\"size\":\"16M\"},{\"name\":\"../escape.img\",\"size\":\"16M\"}]");
    VolumeCtlRun run = ctl("batch", file.toString());
    assertEquals(1, run.exit(), run.describe());
    assertTrue(run.err().startsWith("error INVALID_NAME: volumes[1]"), run.describe());
    assertTrue(run.err().contains("volume: ../escape.img"), run.describe());
    assertEquals("", run.out());
  }

  @Test
  void missingOrInvalidFilesAreInputErrors() throws Exception {
    VolumeCtlRun missing = ctl("batch", dir.resolve("no-such.json").toString());
    assertEquals(2, missing.exit(), missing.describe());
    assertTrue(missing.err().contains("no-such.json: there is no such file"), missing.describe());
    VolumeCtlRun broken = ctl("batch", write("[{\"name\": \"a.img\",]").toString());
    assertEquals(2, broken.exit(), broken.describe());
    assertTrue(broken.err().contains("is not valid JSON at line 1"), broken.describe());
    VolumeCtlRun object = ctl("batch", write("{\"name\": \"a.img\"}").toString());
    assertEquals(2, object.exit(), object.describe());
    assertTrue(object.err().contains("expected a JSON array"), object.describe());
    VolumeCtlRun notMicroVm = ctl("import-microvm", write("[{\"size\": 64}]").toString());
    assertEquals(2, notMicroVm.exit(), notMicroVm.describe());
    assertTrue(notMicroVm.err().contains("volumes[0] has no \"image\""), notMicroVm.describe());
  }

  @Test
  void importMicroVmCreatesTheAutoCreateVolumesAndARerunFindsThemExisting() throws Exception {
    String prefix = fresh("microvm") + "/";
    VolumeCtlRun run = ctl("import-microvm", EXAMPLE.toString(), "--prefix", prefix);
    assertEquals(0, run.exit(), run.describe());
    assertTrue(run.err().contains("skipping /dev/disk/by-id/nvme-data-vm1: autoCreate is false"), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches(prefix + "var.img +8\\.0 GiB +ext4 +sparse +created")),
        run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches(prefix + "nix-store-overlay.img +2\\.0 GiB +xfs +sparse +created")),
        run.describe());
    assertTrue(run.out().contains("2 created, 0 existed, 0 failed"), run.describe());

    JsonNode list = daemon.request("{\"op\":\"list\"}").at("/result/volumes");
    List<String> mine = new ArrayList<>();
    list.forEach(v -> {
      if (v.get("name").asText().startsWith(prefix)) {
        mine.add(v.get("name").asText());
      }
    });
    assertEquals(List.of(prefix + "nix-store-overlay.img", prefix + "var.img"), mine.stream().sorted().toList());

    JsonNode var = get(prefix + "var.img").get("result");
    assertEquals(8192 * MIB, var.get("size").asLong());
    assertEquals("ext4", var.get("fs").asText());
    assertEquals("var", var.get("label").asText());
    assertEquals("sparse", var.get("allocation").asText());
    Map<String, String> varBlkid = ImagesTest.blkid(Path.of(var.get("path").asText()));
    assertEquals("ext4", varBlkid.get("TYPE"));
    assertEquals("var", varBlkid.get("LABEL"));

    JsonNode store = get(prefix + "nix-store-overlay.img").get("result");
    assertEquals(2048 * MIB, store.get("size").asLong());
    assertEquals("xfs", store.get("fs").asText());
    assertEquals("nix-store", store.get("label").asText());
    Path storeImage = Path.of(store.get("path").asText());
    assertEquals(2048 * MIB, Files.size(storeImage));
    Map<String, String> storeBlkid = ImagesTest.blkid(storeImage);
    assertEquals("xfs", storeBlkid.get("TYPE"));
    assertEquals("nix-store", storeBlkid.get("LABEL"));

    VolumeCtlRun again = ctl("import-microvm", EXAMPLE.toString(), "--prefix", prefix);
    assertEquals(0, again.exit(), again.describe());
    assertTrue(again.out().lines().anyMatch(l -> l.matches(prefix + "var.img +8\\.0 GiB +ext4 +sparse +existed")),
        again.describe());
    assertTrue(again.out().contains("0 created, 2 existed, 0 failed"), again.describe());
  }

  @Test
  void importMicroVmDryRunPrintsTheBatchAndSendsNothing() throws Exception {
    String prefix = fresh("dry") + "/";
    VolumeCtlRun run = VolumeCtlRun.of("--socket", dir.resolve("nobody.sock").toString(),
        "import-microvm", EXAMPLE.toString(), "--prefix", prefix, "--dry-run", "--no-atomic", "--pool", "fast");
    assertEquals(0, run.exit(), run.describe());
    JsonNode request = JSON.readTree(run.out());
    assertEquals("batch", request.get("op").asText());
    assertEquals("fast", request.get("pool").asText());
    assertFalse(request.get("atomic").asBoolean());
    assertEquals(JSON.readTree("[{\"name\":\"" + prefix + "var.img\",\"size\":\"8192M\",\"fs\":\"ext4\","
        + "\"label\":\"var\",\"allocation\":\"sparse\"},{\"name\":\"" + prefix + "nix-store-overlay.img\","
        + "\"size\":\"2048M\",\"fs\":\"xfs\",\"label\":\"nix-store\",\"mkfsArgs\":[\"-m\",\"crc=1\"],"
        + "\"allocation\":\"sparse\"}]"), request.get("volumes"));
  }

  /** Two good volumes and one that cannot be formatted: xfs needs far more than 16 MiB. */
  private static String members(String vm) {
    return "[{\"name\":\"" + vm + "/a.img\",\"size\":\"64M\",\"fs\":\"ext4\"},"
        + "{\"name\":\"" + vm + "/small.img\",\"size\":\"16M\",\"fs\":\"xfs\"},"
        + "{\"name\":\"" + vm + "/b.img\",\"size\":\"64M\",\"fs\":\"none\"}]";
  }
}

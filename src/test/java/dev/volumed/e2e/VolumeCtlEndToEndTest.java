package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.volumed.cli.VolumeCtlRun;
import dev.volumed.protocol.Codec;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumectl against a real (in-process) volumed: every command, its output and its exit code. */
class VolumeCtlEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static TestDaemon daemon;
  private static int counter;

  @BeforeAll
  static void startDaemon() throws Exception {
    Tools.assumeInstalled("mkfs.ext4");
    daemon = TestDaemon.start(dir);
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

  private static String freshName(String prefix) {
    return prefix + "-" + (++counter) + ".img";
  }

  @Test
  void pingExitsZeroAndPrintsTheVersion() {
    VolumeCtlRun run = ctl("ping");
    assertEquals(0, run.exit(), run.describe());
    assertEquals("volumed " + Codec.VERSION + ", protocol 1\n", run.out(), run.describe());
    assertEquals("", run.err());
  }

  @Test
  void createPrintsTheVolumeAsKeyValueLinesAndMakesTheImage() throws Exception {
    String name = "vm-cli/" + freshName("root");
    VolumeCtlRun run = ctl("create", name, "--size", "16M", "--fs", "ext4", "--label", "cliroot");
    assertEquals(0, run.exit(), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("name:\\s+" + name)), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("size:\\s+16\\.0 MiB \\(16777216 bytes\\)")), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("fs:\\s+ext4")), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("label:\\s+cliroot")), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("allocation:\\s+sparse")), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("state:\\s+ready")), run.describe());
    assertFalse(run.out().contains("existed:"), run.describe());
    Path image = daemon.pool().resolve(name);
    assertTrue(run.out().lines().anyMatch(l -> l.matches("path:\\s+" + image)), run.describe());
    assertEquals(16L << 20, Files.size(image));
  }

  @Test
  void creatingTheSameVolumeAgainSaysItExisted() {
    String name = freshName("twice");
    VolumeCtlRun first = ctl("create", name, "--size", "8M", "--fs", "none");
    assertEquals(0, first.exit(), first.describe());
    VolumeCtlRun second = ctl("create", name, "--size", "8M", "--fs", "none");
    assertEquals(0, second.exit(), second.describe());
    assertTrue(second.out().lines().anyMatch(l -> l.matches("existed:\\s+true")), second.describe());

    VolumeCtlRun different = ctl("create", name, "--size", "12M", "--fs", "none");
    assertEquals(1, different.exit(), different.describe());
    assertTrue(different.err().startsWith("error ALREADY_EXISTS: "), different.describe());
  }

  @Test
  void aBadNameIsRefusedWithExitOneAndInvalidNameOnStderr() {
    for (String bad : new String[] {"../escape.img", ".hidden.img", "a/b/c/d/e.img"}) {
      VolumeCtlRun run = ctl("create", bad, "--size", "8M");
      assertEquals(1, run.exit(), bad + ": " + run.describe());
      assertTrue(run.err().startsWith("error INVALID_NAME: "), bad + ": " + run.describe());
      assertEquals("", run.out(), run.describe());
    }
    assertFalse(Files.exists(dir.resolve("escape.img")));
  }

  @Test
  void listShowsATableWithTheVolume() {
    String name = freshName("listed");
    assertEquals(0, ctl("create", name, "--size", "8M", "--fs", "none").exit());
    VolumeCtlRun run = ctl("list");
    assertEquals(0, run.exit(), run.describe());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(0).matches("POOL\\s+NAME\\s+SIZE\\s+ALLOCATED\\s+FS\\s+LABEL\\s+ALLOCATION\\s+STATE\\s+CREATED\\s*"),
        run.describe());
    assertTrue(lines.stream().anyMatch(l -> l.matches("default\\s+" + name + "\\s+8\\.0 MiB\\s+.*\\s+none\\s+-\\s+sparse\\s+ready\\s+.*")),
        run.describe());

    VolumeCtlRun inPool = ctl("list", "--pool", "default");
    assertEquals(0, inPool.exit(), inPool.describe());
    assertTrue(inPool.out().contains(name), inPool.describe());
  }

  @Test
  void getShowsOneVolume() {
    String name = freshName("got");
    assertEquals(0, ctl("create", name, "--size", "8M", "--fs", "none", "--allocation", "fallocate").exit());
    VolumeCtlRun run = ctl("get", name);
    assertEquals(0, run.exit(), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("name:\\s+" + name)), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("allocation:\\s+fallocate")), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("allocated:\\s+.*\\(\\d+ bytes\\)")), run.describe());
  }

  @Test
  void poolsShowsATableOfThePools() {
    VolumeCtlRun run = ctl("pools");
    assertEquals(0, run.exit(), run.describe());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(0).startsWith("NAME"), run.describe());
    assertTrue(lines.get(0).contains("COMMITTED") && lines.get(0).contains("AVAIL-SPARSE"), run.describe());
    assertTrue(lines.stream().anyMatch(l -> l.matches("default\\s+" + daemon.pool() + "\\s+.*\\s+4\\.0x")), run.describe());
  }

  @Test
  void jsonListPrintsTheResultAsJson() throws Exception {
    String name = freshName("json");
    assertEquals(0, ctl("create", name, "--size", "8M", "--fs", "none").exit());
    VolumeCtlRun run = ctl("--json", "list");
    assertEquals(0, run.exit(), run.describe());
    JsonNode result = JSON.readTree(run.out());
    assertTrue(result.path("volumes").isArray(), run.describe());
    JsonNode volume = null;
    for (JsonNode v : result.path("volumes")) {
      if (v.path("name").asText().equals(name)) {
        volume = v;
      }
    }
    assertTrue(volume != null, "no " + name + " in " + run.describe());
    assertEquals(8L << 20, volume.path("size").asLong());
    assertEquals("default", volume.path("pool").asText());
    assertEquals(daemon.pool().resolve(name).toString(), volume.path("path").asText());

    VolumeCtlRun error = ctl("--json", "get", freshName("never-made"));
    assertEquals(1, error.exit(), error.describe());
    assertEquals("NOT_FOUND", JSON.readTree(error.out()).path("code").asText(), error.describe());
  }

  @Test
  void deleteRemovesTheVolumeAndGetThenSaysNotFound() {
    String name = "vm-del/" + freshName("gone");
    assertEquals(0, ctl("create", name, "--size", "8M", "--fs", "none").exit());
    VolumeCtlRun run = ctl("delete", name);
    assertEquals(0, run.exit(), run.describe());
    assertEquals("deleted " + name + "\n", run.out(), run.describe());
    assertFalse(Files.exists(daemon.pool().resolve(name)));

    VolumeCtlRun get = ctl("get", name);
    assertEquals(1, get.exit(), get.describe());
    assertTrue(get.err().startsWith("error NOT_FOUND: "), get.describe());

    VolumeCtlRun again = ctl("delete", name);
    assertEquals(1, again.exit(), again.describe());
    assertTrue(again.err().startsWith("error NOT_FOUND: "), again.describe());
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    VolumeCtlRun run = ctl("frobnicate");
    assertEquals(2, run.exit(), run.describe());
    assertEquals("", run.out());
    assertTrue(run.err().contains("unknown command 'frobnicate'"), run.describe());
  }

  @Test
  void aSocketThatDoesNotExistCannotBeReached() {
    Path missing = dir.resolve("no-such.sock");
    VolumeCtlRun run = VolumeCtlRun.of("--socket", missing.toString(), "ping");
    assertEquals(3, run.exit(), run.describe());
    assertEquals("", run.out());
    assertTrue(run.err().contains(missing.toString()), run.describe());
  }
}

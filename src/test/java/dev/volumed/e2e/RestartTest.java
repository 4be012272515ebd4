package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.Tools;
import dev.volumed.testing.VolumedProcess;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real volumed process stopped with SIGTERM and started again: it exits 0, removes its socket,
 * and comes back with the same volumes, the same metadata and the same books; what changed on
 * disk while it was stopped is adopted, dropped or cleaned up.
 */
class RestartTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeAllFileSystems();
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MIB = 1L << 20;
  /** What a restart must keep of each volume. */
  private static final List<String> VOLUME_FIELDS =
      List.of("pool", "name", "path", "size", "fs", "label", "allocation", "allocatedBytes", "state", "createdAt");
  /** What a restart must keep of each pool's books (free space is the host's and may move). */
  private static final List<String> BOOK_FIELDS =
      List.of("name", "path", "capacityBytes", "reservedPercent", "maxOvercommitRatio", "committedBytes",
          "provisionedBytes");

  /** Kept when a test fails, with the daemon's log, config and pools, for a look afterwards. */
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;
  private Path config;
  private Path socket;
  private Path defaultPool;
  private Path fastPool;
  private Path log;
  private final List<VolumedProcess> started = new ArrayList<>();

  @BeforeEach
  void writeConfig() throws IOException {
    socket = dir.resolve("run/volumed.sock");
    defaultPool = dir.resolve("pools/default");
    fastPool = dir.resolve("pools/fast");
    log = dir.resolve("volumed.log");
    config = dir.resolve("volumed.conf");
    Files.writeString(config, String.join("\n",
        "volumed.socket.path = \"" + socket + "\"",
        "volumed.pools.default.path = \"" + defaultPool + "\"",
        "volumed.pools.fast {",
        "  path = \"" + fastPool + "\"",
        "  capacity = \"20G\"",
        "  reserved-percent = 0",
        "  max-overcommit-ratio = 2.0",
        "  default-allocation = \"sparse\"",
        "  default-fs = \"ext4\"",
        "  mode = \"0600\"",
        "  owner = null",
        "  group = null",
        "}",
        ""), StandardCharsets.UTF_8);
  }

  @AfterEach
  void killWhatIsStillRunning() throws Exception {
    for (VolumedProcess p : started) {
      p.close();
    }
  }

  private VolumedProcess start() throws Exception {
    VolumedProcess p = VolumedProcess.start(config, socket, log);
    started.add(p);
    return p;
  }

  /** SIGTERM: exit code 0 and no socket file left. */
  private void stop(VolumedProcess p) throws Exception {
    int exit = p.terminate();
    assertEquals(0, exit, "volumed exit code after SIGTERM; " + p.describeLog());
    assertFalse(Files.exists(socket), "socket file " + socket + " still there after SIGTERM; " + p.describeLog());
  }

  @Test
  void aDaemonStoppedWithSigtermAndStartedAgainHasTheSameVolumesMetadataAndBooks() throws Exception {
    VolumedProcess first = start();
    create(first, "default", "vm1/root.img", "64M", "ext4", "sparse", "root1");
    create(first, "default", "vm1/data.img", "320M", "xfs", "fallocate", "data1");
    create(first, "default", "raw/scratch.img", "16M", "none", "full", null);
    create(first, "default", "vm2/efi/boot.img", "32M", "vfat", "sparse", "EFI");
    create(first, "fast", "cache.img", "48M", "ext2", "fallocate", null);
    create(first, "fast", "vm1/a/b/swap.img", "16M", "swap", "sparse", null);

    Map<String, JsonNode> volumesBefore = volumes(first);
    Map<String, JsonNode> booksBefore = books(first);
    Map<Path, String> metadataBefore = metadataFiles();
    assertEquals(6, volumesBefore.size(), volumesBefore.keySet().toString());
    assertEquals(6, metadataBefore.size(), metadataBefore.keySet().toString());
    // The books as DESIGN.md defines them, so "the same" below is the same and right.
    assertEquals((320 + 16) * MIB, booksBefore.get("default").path("committedBytes").asLong());
    assertEquals((64 + 320 + 16 + 32) * MIB, booksBefore.get("default").path("provisionedBytes").asLong());
    assertEquals(48 * MIB, booksBefore.get("fast").path("committedBytes").asLong());
    assertEquals((48 + 16) * MIB, booksBefore.get("fast").path("provisionedBytes").asLong());
    assertEquals(20L << 30, booksBefore.get("fast").path("capacityBytes").asLong());

    stop(first);

    VolumedProcess second = start();
    assertEquals(volumesBefore, volumes(second), "volumes after restart; " + second.describeLog());
    assertEquals(booksBefore, books(second), "books after restart; " + second.describeLog());
    assertEquals(metadataBefore, metadataFiles(), "metadata files after restart");
    JsonNode root = second.result("{\"op\":\"get\",\"pool\":\"default\",\"name\":\"vm1/root.img\"}");
    assertFalse(root.has("adopted"), "a volume volumed made is not adopted after a restart: " + root);

    // And the restarted daemon still works: delete and create as before.
    second.result("{\"op\":\"delete\",\"pool\":\"default\",\"name\":\"raw/scratch.img\"}");
    assertEquals((320) * MIB, books(second).get("default").path("committedBytes").asLong());
    JsonNode again = second.result(
        "{\"op\":\"create\",\"pool\":\"default\",\"name\":\"vm1/root.img\",\"size\":\"64M\",\"fs\":\"ext4\","
            + "\"allocation\":\"sparse\",\"label\":\"root1\"}");
    assertTrue(again.path("existed").asBoolean(), "create of an identical volume after restart: " + again);
    stop(second);
  }

  @Test
  void whatChangedOnDiskWhileStoppedIsAdoptedDroppedOrCleanedUp() throws Exception {
    VolumedProcess first = start();
    create(first, "default", "vm1/root.img", "64M", "ext4", "sparse", "root1");
    create(first, "default", "gone.img", "8M", "none", "fallocate", null);
    Map<String, JsonNode> booksBefore = books(first);
    stop(first);

    // While stopped: an image made by hand, an image removed by hand, and leftovers of interrupted work.
    Path foreign = defaultPool.resolve("vm3/foreign.img");
    Files.createDirectories(foreign.getParent());
    try (FileChannel channel = FileChannel.open(foreign, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      channel.truncate(0).position(32 * MIB - 1).write(ByteBuffer.wrap(new byte[] {0})); // sparse, 32 MiB long
    }
    run("mkfs.ext4", "-F", "-q", "-L", "foreign", foreign.toString());
    Files.delete(defaultPool.resolve("gone.img"));
    Path tempAtRoot = defaultPool.resolve(".x.img.volumed-tmp-abc");
    Path tempNested = defaultPool.resolve("vm1/.data.img.volumed-tmp-0123456789abcdef");
    Path tempMetadata = defaultPool.resolve(".volumed/meta/.x.img.json.volumed-tmp-abc");
    for (Path temp : List.of(tempAtRoot, tempNested, tempMetadata)) {
      Files.write(temp, new byte[4096]);
    }

    VolumedProcess second = start();
    for (Path temp : List.of(tempAtRoot, tempNested, tempMetadata)) {
      assertFalse(Files.exists(temp), temp + " left by interrupted work is still there; " + second.describeLog());
    }
    assertFalse(Files.exists(defaultPool.resolve(".volumed/meta/gone.img.json")),
        "metadata of an image removed by hand is still there");

    Map<String, JsonNode> volumes = volumes(second);
    assertEquals(List.of("default/vm1/root.img", "default/vm3/foreign.img"), List.copyOf(volumes.keySet()),
        second.describeLog());
    JsonNode adopted = second.result("{\"op\":\"get\",\"pool\":\"default\",\"name\":\"vm3/foreign.img\"}");
    assertEquals(32 * MIB, adopted.path("size").asLong(), adopted.toString());
    assertEquals("ext4", adopted.path("fs").asText(), adopted.toString());
    assertEquals("foreign", adopted.path("label").asText(), adopted.toString());
    assertEquals("sparse", adopted.path("allocation").asText(), adopted.toString());
    assertEquals("ready", adopted.path("state").asText(), adopted.toString());
    assertTrue(adopted.path("adopted").asBoolean(), adopted.toString());
    assertEquals(foreign.toString(), adopted.path("path").asText(), adopted.toString());

    JsonNode bookAfter = books(second).get("default");
    JsonNode bookBefore = booksBefore.get("default");
    assertEquals(bookBefore.path("committedBytes").asLong() - 8 * MIB, bookAfter.path("committedBytes").asLong(),
        "committed: the removed fallocate image is gone from the books; " + bookAfter);
    assertEquals(bookBefore.path("provisionedBytes").asLong() - 8 * MIB + 32 * MIB,
        bookAfter.path("provisionedBytes").asLong(),
        "provisioned: the adopted image is counted, the removed one is not; " + bookAfter);

    // The adoption was written down: a second restart gives the same record, creation time included.
    stop(second);
    VolumedProcess third = start();
    assertEquals(volumes, volumes(third), "volumes after a second restart; " + third.describeLog());
    assertEquals(adopted, third.result("{\"op\":\"get\",\"pool\":\"default\",\"name\":\"vm3/foreign.img\"}"));
    stop(third);
  }

  @Test
  void aSigtermDuringACreateLeavesEitherACompleteVolumeOrNoneAndNoLeftovers() throws Exception {
    VolumedProcess first = start();
    create(first, "default", "keep.img", "16M", "ext4", "sparse", null);
    Map<String, JsonNode> booksBefore = books(first);
    Path big = defaultPool.resolve("vm1/big.img");
    // Today the client gets no reply, only a closed connection (there is no drain phase yet); this
    // test holds the durability half of the contract, whichever way the race goes.
    String outcome;
    try (LineClient client = LineClient.connect(socket)) {
      // Writing 2 GiB of zeros takes long enough to be caught in the middle.
      client.send("{\"id\":\"big\",\"op\":\"create\",\"name\":\"vm1/big.img\",\"size\":\"2G\","
          + "\"fs\":\"none\",\"allocation\":\"full\"}");
      awaitTempFileBeside(big, first);
      int exit = first.terminate();
      assertEquals(0, exit, "volumed exit code after SIGTERM during a create; " + first.describeLog());
      assertFalse(Files.exists(socket), "socket file still there; " + first.describeLog());
      outcome = replyOrClosed(client);
    }

    VolumedProcess second = start();
    try (Stream<Path> walk = Files.walk(defaultPool)) {
      List<Path> temps = walk.filter(p -> p.getFileName().toString().contains(".volumed-tmp-")).toList();
      assertEquals(List.of(), temps, "temporary files after restart; " + second.describeLog());
    }
    Map<String, JsonNode> volumes = volumes(second);
    JsonNode pool = books(second).get("default");
    if (Files.exists(big)) {
      // Complete: the whole length, listed, counted.
      assertEquals(2L << 30, Files.size(big));
      assertEquals(List.of("default/keep.img", "default/vm1/big.img"), List.copyOf(volumes.keySet()), outcome);
      assertEquals(booksBefore.get("default").path("committedBytes").asLong() + (2L << 30),
          pool.path("committedBytes").asLong(), pool.toString());
    } else {
      // None: not listed, not counted, no metadata.
      assertEquals(List.of("default/keep.img"), List.copyOf(volumes.keySet()), outcome + "; " + second.describeLog());
      assertEquals(booksBefore.get("default"), pool, "books after an interrupted create");
      assertFalse(Files.exists(defaultPool.resolve(".volumed/meta/vm1/big.img.json")));
    }
    stop(second);
  }

  @Test
  void imagesChangedWhileStoppedAreDamagedAfterRestartStillDeletableAndAFolderInsteadOfAnImageIsNotAdopted()
      throws Exception {
    VolumedProcess first = start();
    create(first, "default", "truncated.img", "16M", "none", "sparse", null);
    create(first, "default", "folder.img", "8M", "none", "fallocate", null);
    create(first, "default", "thin.img", "8M", "none", "sparse", null);
    Map<String, JsonNode> booksBefore = books(first);
    stop(first);

    try (FileChannel channel = FileChannel.open(defaultPool.resolve("truncated.img"), StandardOpenOption.WRITE)) {
      channel.truncate(1);
    }
    Path folder = defaultPool.resolve("folder.img");
    Files.delete(folder);
    Files.createDirectory(folder);
    Files.write(folder.resolve("inner.img"), new byte[4096]);
    Path thinMeta = defaultPool.resolve(".volumed/meta/thin.img.json");
    Files.writeString(thinMeta, Files.readString(thinMeta).replace("\"sparse\"", "\"fallocate\""));

    VolumedProcess second = start();
    JsonNode truncated = second.result("{\"op\":\"get\",\"name\":\"truncated.img\"}");
    assertEquals("damaged", truncated.path("state").asText(), truncated.toString());
    assertEquals("image is 1 byte long, its metadata says " + 16 * MIB, truncated.path("damage").asText());
    assertEquals(16 * MIB, truncated.path("size").asLong(), "the metadata is kept, not rewritten to the real length");
    JsonNode thin = second.result("{\"op\":\"get\",\"name\":\"thin.img\"}");
    assertEquals("damaged", thin.path("state").asText(), thin.toString());
    JsonNode again = second.request("{\"op\":\"create\",\"name\":\"truncated.img\",\"size\":\"16M\",\"fs\":\"none\","
        + "\"allocation\":\"sparse\"}");
    assertEquals("ALREADY_EXISTS", again.path("error").path("code").asText(), "never existed: " + again);
    JsonNode damagedFolder = second.result("{\"op\":\"get\",\"name\":\"folder.img\"}");
    assertEquals("the image is a folder, not a file", damagedFolder.path("damage").asText(), damagedFolder.toString());
    assertEquals(List.of("default/folder.img", "default/thin.img", "default/truncated.img"),
        List.copyOf(volumes(second).keySet()), "the folder's file is not adopted; " + second.describeLog());
    // Damaged volumes count as their metadata says: thin.img's now says fallocate, so it is committed too.
    JsonNode bookAfter = books(second).get("default");
    assertEquals(booksBefore.get("default").path("provisionedBytes"), bookAfter.path("provisionedBytes"), bookAfter.toString());
    assertEquals(booksBefore.get("default").path("committedBytes").asLong() + 8 * MIB,
        bookAfter.path("committedBytes").asLong(), bookAfter.toString());

    second.result("{\"op\":\"delete\",\"name\":\"folder.img\"}");
    second.result("{\"op\":\"delete\",\"name\":\"truncated.img\"}");
    assertTrue(Files.isRegularFile(folder.resolve("inner.img")), "what is inside the folder stays");
    assertFalse(Files.exists(defaultPool.resolve("truncated.img")));
    assertEquals(List.of("default/thin.img"), List.copyOf(volumes(second).keySet()));
    stop(second);
  }

  /** The reply the client got, or how the connection ended without one. */
  private static String replyOrClosed(LineClient client) throws InterruptedException {
    try {
      return "reply " + client.read(Duration.ofSeconds(5));
    } catch (AssertionError | IOException noReply) {
      return noReply.getMessage();
    }
  }

  /** Waits (bounded) until volumed has started building {@code image} under a temporary name. */
  private static void awaitTempFileBeside(Path image, VolumedProcess p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String prefix = "." + image.getFileName() + ".volumed-tmp-";
    while (System.nanoTime() < deadline) {
      if (Files.isDirectory(image.getParent())) {
        try (Stream<Path> files = Files.list(image.getParent())) {
          if (files.anyMatch(f -> f.getFileName().toString().startsWith(prefix))) {
            return;
          }
        }
      }
      Thread.sleep(10); // watching another process's files: nothing to await on
    }
    throw new AssertionError("no temporary file for " + image + " within 30 s; " + p.describeLog());
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static void create(VolumedProcess p, String pool, String name, String size, String fs,
      String allocation, String label) throws Exception {
    ObjectNode request = JSON.createObjectNode();
    request.put("op", "create").put("pool", pool).put("name", name).put("size", size).put("fs", fs)
        .put("allocation", allocation);
    if (label != null) {
      request.put("label", label);
    }
    JsonNode volume = p.result(request.toString());
    assertEquals("ready", volume.path("state").asText(), volume.toString());
  }

  /** Every volume of every pool, keyed by pool/name (sorted), with the fields a restart must keep. */
  private static Map<String, JsonNode> volumes(VolumedProcess p) throws Exception {
    Map<String, JsonNode> byName = new TreeMap<>();
    for (JsonNode v : p.result("{\"op\":\"list\"}").path("volumes")) {
      ObjectNode kept = JSON.createObjectNode();
      for (String field : VOLUME_FIELDS) {
        kept.set(field, v.path(field).isMissingNode() ? null : v.get(field));
      }
      byName.put(v.path("pool").asText() + "/" + v.path("name").asText(), kept);
    }
    return byName;
  }

  /** Each pool's books, keyed by pool name. */
  private static Map<String, JsonNode> books(VolumedProcess p) throws Exception {
    Map<String, JsonNode> byPool = new TreeMap<>();
    for (JsonNode pool : p.result("{\"op\":\"pools\"}").path("pools")) {
      ObjectNode kept = JSON.createObjectNode();
      for (String field : BOOK_FIELDS) {
        kept.set(field, pool.get(field));
      }
      byPool.put(pool.path("name").asText(), kept);
    }
    return byPool;
  }

  /** Every metadata file of both pools and its content. */
  private Map<Path, String> metadataFiles() throws IOException {
    Map<Path, String> files = new TreeMap<>();
    for (Path pool : List.of(defaultPool, fastPool)) {
      Path meta = pool.resolve(".volumed/meta");
      try (Stream<Path> walk = Files.walk(meta)) {
        for (Path f : walk.filter(Files::isRegularFile).toList()) {
          files.put(f, Files.readString(f, StandardCharsets.UTF_8));
        }
      }
    }
    return files;
  }

  private void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
    assertEquals(0, p.exitValue(), String.join(" ", command) + " failed; see " + log);
  }
}

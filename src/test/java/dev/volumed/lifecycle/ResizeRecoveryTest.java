package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.Guest;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start-up that finds the note of a resize a crash interrupted ends it so that image, metadata and
 * books agree: undone (cut back) where the file system can be shrunk back, kept at the new size for
 * xfs (which cannot), and only the note removed when the metadata already had the new size.
 */
class ResizeRecoveryTest {
  private static final long MIB = 1L << 20;

  @TempDir Path dir;

  @Test
  void eachInterruptedResizeEndsAtASizeItsImageAndMetadataAgreeOn() throws Exception {
    Tools.assumeInstalled("mkfs.xfs", "xfs_repair", "mkswap", "blkid");
    Path pool;
    Map<String, String> swapBefore;
    try (TestDaemon daemon = TestDaemon.start(dir)) {
      pool = daemon.pool();
      ok(daemon, "{\"op\":\"create\",\"name\":\"raw.img\",\"size\":\"16M\",\"fs\":\"none\"}");
      ok(daemon, "{\"op\":\"create\",\"name\":\"vm/data.img\",\"size\":\"320M\",\"fs\":\"xfs\"}");
      ok(daemon, "{\"op\":\"create\",\"name\":\"done.img\",\"size\":\"16M\",\"fs\":\"none\"}");
      ok(daemon, "{\"op\":\"create\",\"name\":\"swap.img\",\"size\":\"16M\",\"fs\":\"swap\",\"label\":\"sw\"}");
      swapBefore = Guest.blkid(pool.resolve("swap.img"));
    }
    // As a crash leaves them: notes written, images grown, metadata not (or, for done.img, already).
    note(pool, "raw.img", 16 * MIB, 64 * MIB);
    grow(pool.resolve("raw.img"), 64 * MIB);
    note(pool, "vm/data.img", 320 * MIB, 400 * MIB);
    grow(pool.resolve("vm/data.img"), 400 * MIB);
    note(pool, "swap.img", 16 * MIB, 32 * MIB);
    grow(pool.resolve("swap.img"), 32 * MIB);
    note(pool, "done.img", 8 * MIB, 16 * MIB); // its metadata has the new size: it had committed
    note(pool, "gone.img", 16 * MIB, 32 * MIB);
    Files.writeString(pool.resolve(".volumed/resizes/broken.img.json"), "{not json", StandardCharsets.UTF_8);

    try (TestDaemon daemon = TestDaemon.start(dir)) {
      assertEquals(16 * MIB, size(daemon, "raw.img"));
      assertEquals(16 * MIB, Files.size(pool.resolve("raw.img")));
      assertEquals(400 * MIB, size(daemon, "vm/data.img"), "xfs cannot be shrunk: it keeps the new size");
      assertEquals(400 * MIB, Files.size(pool.resolve("vm/data.img")));
      Guest.Run check = Guest.check("xfs", pool.resolve("vm/data.img"));
      assertEquals(0, check.exit(), check.output());
      assertEquals(16 * MIB, size(daemon, "swap.img"));
      Map<String, String> swapAfter = Guest.blkid(pool.resolve("swap.img"));
      assertEquals(swapBefore.get("UUID"), swapAfter.get("UUID"));
      assertEquals("sw", swapAfter.get("LABEL"));
      assertEquals("ready", get(daemon, "vm/data.img").path("state").asText());
      JsonNode stats = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
      assertEquals((16 + 400 + 16 + 16) * MIB, stats.path("provisionedBytes").asLong());
      try (var left = Files.walk(pool.resolve(".volumed/resizes"))) {
        assertEquals(0, left.filter(Files::isRegularFile).count(), "notes left after start-up");
      }
    }
    assertFalse(Files.exists(pool.resolve("gone.img")));
    assertEquals(16 * MIB, Files.size(pool.resolve("done.img")));
  }

  /**
   * The moment between the image's growth and xfs_growfs / btrfs resize: the note written and the
   * image at its new length, its file system still at the old size. The start-up grows the file
   * system to fill the image before it commits the new size, so xfs_info and btrfs filesystem show
   * give the new size and a later resize grows it again. One whose file system cannot be grown (not
   * mountable: its superblock gone) keeps its old size in the metadata and its note, and loads
   * damaged; the pool loads.
   */
  @Test
  void anXfsOrBtrfsWhoseImageGrewButNotItsFileSystemIsGrownBeforeItsNewSizeIsCommitted() throws Exception {
    Guest.assumeRoot();
    Tools.assumeInstalled("mkfs.xfs", "xfs_repair", "xfs_growfs", "xfs_info", "mkfs.btrfs", "btrfs");
    Path pool;
    try (TestDaemon daemon = TestDaemon.start(dir)) {
      pool = daemon.pool();
      ok(daemon, "{\"op\":\"create\",\"name\":\"vm/x.img\",\"size\":\"320M\",\"fs\":\"xfs\"}");
      ok(daemon, "{\"op\":\"create\",\"name\":\"vm/b.img\",\"size\":\"256M\",\"fs\":\"btrfs\"}");
      ok(daemon, "{\"op\":\"create\",\"name\":\"vm/lost.img\",\"size\":\"320M\",\"fs\":\"xfs\"}");
    }
    assertEquals(320 * MIB, xfsBytes(pool.resolve("vm/x.img")));
    note(pool, "vm/x.img", 320 * MIB, 400 * MIB);
    grow(pool.resolve("vm/x.img"), 400 * MIB);
    note(pool, "vm/b.img", 256 * MIB, 320 * MIB);
    grow(pool.resolve("vm/b.img"), 320 * MIB);
    note(pool, "vm/lost.img", 320 * MIB, 400 * MIB);
    grow(pool.resolve("vm/lost.img"), 400 * MIB);
    try (RandomAccessFile file = new RandomAccessFile(pool.resolve("vm/lost.img").toFile(), "rw")) {
      file.write(new byte[64 << 10]); // no xfs superblock: it cannot be mounted to grow
    }

    try (TestDaemon daemon = TestDaemon.start(dir)) {
      assertEquals(400 * MIB, size(daemon, "vm/x.img"));
      assertEquals("ready", get(daemon, "vm/x.img").path("state").asText());
      assertEquals(400 * MIB, xfsBytes(pool.resolve("vm/x.img")), "xfs_info: the file system fills the image");
      assertEquals(0, Guest.check("xfs", pool.resolve("vm/x.img")).exit());
      assertEquals(320 * MIB, size(daemon, "vm/b.img"));
      assertEquals("ready", get(daemon, "vm/b.img").path("state").asText());
      Guest.Run show = Guest.run("btrfs", "filesystem", "show", pool.resolve("vm/b.img").toString());
      assertTrue(show.output().contains("size 320.00MiB"), show.output());
      assertEquals(0, Guest.check("btrfs", pool.resolve("vm/b.img")).exit());

      JsonNode lost = get(daemon, "vm/lost.img");
      assertEquals("damaged", lost.path("state").asText(), lost.toString());
      assertEquals(320 * MIB, lost.path("size").asLong(), lost.toString());
      assertTrue(Files.exists(pool.resolve(".volumed/resizes/vm/lost.img.json")), "its note stays for a later start-up");
      JsonNode refused = daemon.request("{\"op\":\"resize\",\"name\":\"vm/lost.img\",\"size\":\"400M\"}");
      assertEquals("BAD_REQUEST", refused.at("/error/code").asText(), refused.toString());

      // Grown for real: the next resize starts from a file system of the size its metadata says.
      ok(daemon, "{\"op\":\"resize\",\"name\":\"vm/x.img\",\"size\":\"448M\"}");
      assertEquals(448 * MIB, xfsBytes(pool.resolve("vm/x.img")));
    }
  }

  /** The data section of the xfs in image, as xfs_info reads it offline: blocks × bsize. */
  private static long xfsBytes(Path image) throws Exception {
    Guest.Run info = Guest.run("xfs_info", image.toString());
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("data\\s+=\\s+bsize=(\\d+)\\s+blocks=(\\d+)")
        .matcher(info.output());
    assertTrue(m.find(), info.output());
    return Long.parseLong(m.group(1)) * Long.parseLong(m.group(2));
  }

  private static void note(Path pool, String name, long from, long to) throws Exception {
    Path note = pool.resolve(".volumed/resizes/" + name + ".json");
    Files.createDirectories(note.getParent());
    Files.writeString(note, "{\"version\":1,\"name\":\"" + name + "\",\"from\":" + from + ",\"to\":" + to + "}",
        StandardCharsets.UTF_8);
  }

  private static void grow(Path image, long size) throws Exception {
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(size);
    }
  }

  private static JsonNode get(TestDaemon daemon, String name) throws Exception {
    return daemon.request("{\"op\":\"get\",\"name\":\"" + name + "\"}").path("result");
  }

  private static long size(TestDaemon daemon, String name) throws Exception {
    return get(daemon, name).path("size").asLong();
  }

  private static void ok(TestDaemon daemon, String json) throws Exception {
    JsonNode reply = daemon.request(json);
    assertTrue(reply.path("ok").asBoolean(), reply.toString());
  }
}

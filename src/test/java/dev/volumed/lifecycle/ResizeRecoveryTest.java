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

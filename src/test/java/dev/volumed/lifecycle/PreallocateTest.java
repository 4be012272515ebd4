package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.testing.HeldOpen;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** preallocate: a sparse volume gets its blocks later, and what it reads never changes. */
class PreallocateTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;
  private TestDaemon daemon;

  @AfterEach
  void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void fallocateThenFullKeepEveryByteAndGiveEveryBlock() throws Exception {
    daemon = TestDaemon.start(dir);
    Path image = create("vm1/data.img", "64M", "none");
    Images.scribble(image, 0, 5 * MIB + 123, 40 * MIB, 64 * MIB - 4096);
    String content = Images.checksum(image);
    JsonNode before = books();

    JsonNode fallocated = preallocate("vm1/data.img", "fallocate", true);
    assertEquals("fallocate", fallocated.path("allocation").asText(), fallocated.toString());
    assertTrue(Images.allocated(image) >= 64 * MIB, "st_blocks x 512 = " + Images.allocated(image));
    assertEquals(content, Images.checksum(image));
    JsonNode after = books();
    assertEquals(before.path("committedBytes").asLong() + 64 * MIB, after.path("committedBytes").asLong());
    assertEquals(before.path("provisionedBytes"), after.path("provisionedBytes"));

    JsonNode full = preallocate("vm1/data.img", "full", true);
    assertEquals("full", full.path("allocation").asText(), full.toString());
    assertEquals(content, Images.checksum(image));
    assertEquals(after.path("committedBytes"), books().path("committedBytes"), "fallocate to full admits nothing");

    // Already full: asking either mode again succeeds and changes nothing.
    assertEquals("full", preallocate("vm1/data.img", "fallocate", false).path("allocation").asText());
    assertEquals(after.path("committedBytes"), books().path("committedBytes"));
    assertEquals("full", daemon.request("{\"op\":\"get\",\"name\":\"vm1/data.img\"}").path("result")
        .path("allocation").asText());
  }

  @Test
  void fullOfASparseExt4WritesOnlyWhereNothingWasAndItsFileSystemStaysClean() throws Exception {
    Tools.assumeInstalled("mkfs.ext4", "e2fsck");
    daemon = TestDaemon.start(dir);
    Path image = create("vm2/root.img", "96M", "ext4");
    Images.scribble(image, 50 * MIB, 90 * MIB + 7);
    String content = Images.checksum(image);
    JsonNode full = preallocate("vm2/root.img", "full", false);
    assertEquals("full", full.path("allocation").asText(), full.toString());
    assertTrue(Images.allocated(image) >= 96 * MIB, "st_blocks x 512 = " + Images.allocated(image));
    assertTrue(full.path("allocatedBytes").asLong() >= 96 * MIB, full.toString());
    assertEquals(content, Images.checksum(image));
  }

  @Test
  void refusedByRuleOneLeavesTheVolumeSparseAndTheBooksAsTheyWere() throws Exception {
    daemon = TestDaemon.start(dir, "volumed.pools.default.capacity = \"64M\"");
    Path image = create("big.img", "128M", "none");
    long blocks = Images.allocated(image);
    JsonNode before = books();
    JsonNode refused = request("{\"op\":\"preallocate\",\"name\":\"big.img\",\"mode\":\"full\"}");
    assertEquals("INSUFFICIENT_SPACE", refused.path("error").path("code").asText(), refused.toString());
    assertTrue(refused.path("error").path("message").asText().contains("big.img"), refused.toString());
    assertEquals(before, books());
    assertEquals(blocks, Images.allocated(image));
    assertEquals("sparse", daemon.request("{\"op\":\"get\",\"name\":\"big.img\"}").path("result")
        .path("allocation").asText());
  }

  @Test
  void fullIsBusyWhileHeldButFallocateIsAllowed() throws Exception {
    daemon = TestDaemon.start(dir);
    Path image = create("vm3/disk.img", "16M", "none");
    Images.scribble(image, 3 * MIB);
    String content = Images.checksum(image);
    try (HeldOpen vm = HeldOpen.descriptor(image)) {
      JsonNode busy = request("{\"op\":\"preallocate\",\"name\":\"vm3/disk.img\",\"mode\":\"full\"}");
      assertEquals("BUSY", busy.path("error").path("code").asText(), busy.toString());
      assertTrue(busy.path("error").path("message").asText().contains("pid " + vm.pid() + " (python3)"), busy.toString());
      assertEquals(vm.pid(), busy.path("error").path("details").path("holders").get(0).path("pid").asLong());
      assertEquals("sparse", daemon.request("{\"op\":\"get\",\"name\":\"vm3/disk.img\"}").path("result")
          .path("allocation").asText());
      assertEquals("fallocate", preallocate("vm3/disk.img", "fallocate", false).path("allocation").asText());
      assertEquals(content, Images.checksum(image));
    }
  }

  @Test
  void aVolumeBeingPreallocatedCannotBeDeletedOrPreallocatedAgainMeanwhile() throws Exception {
    daemon = TestDaemon.start(dir, "volumed.io.max-write-bytes-per-second = \"4M\"");
    create("slow.img", "32M", "none");
    try (LineClient client = daemon.connect()) {
      client.send("{\"id\":1,\"op\":\"preallocate\",\"name\":\"slow.img\",\"mode\":\"full\",\"progress\":true}");
      JsonNode first = client.read();
      assertEquals("progress", first.path("event").asText(), first.toString());
      assertEquals(32 * MIB, first.path("totalBytes").asLong(), first.toString());
      for (String op : new String[] {"{\"op\":\"delete\",\"name\":\"slow.img\"}",
          "{\"op\":\"preallocate\",\"name\":\"slow.img\"}"}) {
        JsonNode busy = request(op);
        assertEquals("BUSY", busy.path("error").path("code").asText(), busy.toString());
        assertTrue(busy.path("error").path("message").asText().contains("being preallocated"), busy.toString());
      }
      JsonNode line = first;
      while (line.has("event")) {
        line = client.read(Duration.ofSeconds(60));
      }
      assertTrue(line.path("ok").asBoolean(), line.toString());
    }
  }

  @Test
  void badModesAndUnknownVolumesAreRefused() throws Exception {
    daemon = TestDaemon.start(dir);
    assertEquals("BAD_REQUEST", request("{\"op\":\"preallocate\",\"name\":\"a.img\",\"mode\":\"sparse\"}")
        .path("error").path("code").asText());
    assertEquals("BAD_REQUEST", request("{\"op\":\"preallocate\",\"name\":\"a.img\",\"mode\":\"zeros\"}")
        .path("error").path("code").asText());
    assertEquals("NOT_FOUND", request("{\"op\":\"preallocate\",\"name\":\"a.img\"}").path("error").path("code").asText());
    assertEquals("INVALID_NAME", request("{\"op\":\"preallocate\",\"name\":\"../a.img\"}").path("error").path("code")
        .asText());
  }

  private Path create(String name, String size, String fs) throws Exception {
    JsonNode made = request("{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"" + size + "\",\"fs\":\"" + fs
        + "\",\"allocation\":\"sparse\"}");
    assertTrue(made.path("ok").asBoolean(), made.toString());
    return Paths.get(made.path("result").path("path").asText());
  }

  /** The result of a preallocate that must succeed; with progress, its events end at totalBytes. */
  private JsonNode preallocate(String name, String mode, boolean progress) throws Exception {
    try (LineClient client = daemon.connect()) {
      client.send("{\"id\":\"p\",\"op\":\"preallocate\",\"name\":\"" + name + "\",\"mode\":\"" + mode
          + "\",\"progress\":" + progress + "}");
      JsonNode line = client.read();
      JsonNode last = null;
      while (line.has("event")) {
        assertEquals("p", line.path("id").asText());
        last = line;
        line = client.read();
      }
      assertTrue(line.path("ok").asBoolean(), line.toString());
      if (progress) {
        assertTrue(last != null && last.path("doneBytes").asLong() == last.path("totalBytes").asLong(), "" + last);
      }
      return line.path("result");
    }
  }

  private JsonNode request(String json) throws Exception {
    return daemon.request(json);
  }

  /** The pool's books, less the figures the file system moves on its own. */
  private JsonNode books() throws Exception {
    ObjectNode pool = (ObjectNode) daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0).deepCopy();
    pool.remove("filesystemFreeBytes");
    pool.remove("availableForFallocateBytes");
    pool.remove("allocatedBytes");
    return pool;
  }
}

package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What resize and reclaim refuse, through the socket: each refusal has its code, leaves the image
 * as it was, no note or undo file behind, and the books exactly as they were (pools).
 * The pool: capacity 1 GiB, nothing reserved, overcommit ratio 2 (limit 2 GiB).
 */
class ResizeRefusalsTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  @TempDir
  static Path dir;

  static TestDaemon daemon;

  @BeforeAll
  static void start() throws Exception {
    Tools.assumeInstalled("mkfs.ext4", "mkfs.vfat", "e2fsck");
    daemon = TestDaemon.start(dir, String.join("\n",
        "volumed.pools.default.capacity = 1G",
        "volumed.pools.default.reserved-percent = 0",
        "volumed.pools.default.max-overcommit-ratio = 2.0"));
    ok("{\"op\":\"create\",\"name\":\"s.img\",\"size\":\"1G\",\"fs\":\"none\",\"allocation\":\"sparse\"}");
    ok("{\"op\":\"create\",\"name\":\"f.img\",\"size\":\"256M\",\"fs\":\"none\",\"allocation\":\"fallocate\"}");
    ok("{\"op\":\"create\",\"name\":\"e.img\",\"size\":\"64M\",\"fs\":\"ext4\",\"allocation\":\"sparse\"}");
    ok("{\"op\":\"create\",\"name\":\"v.img\",\"size\":\"64M\",\"fs\":\"vfat\",\"allocation\":\"sparse\"}");
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void aSparseGrowthPastTheOvercommitLimitIsRefusedAndChangesNothing() throws Exception {
    // provisioned: 1G + 256M + 64M + 64M (+ 32M once the dirty volume is made); the limit is 2 GiB.
    long room = 2 * GIB - provisioned();
    refusedUnchanged("s.img", GIB + room + 4096, "OVERCOMMIT_LIMIT");
    // ... and exactly up to the limit it is admitted (a raw volume: nothing to grow but bytes).
    ok("{\"op\":\"resize\",\"name\":\"s.img\",\"size\":" + (GIB + room) + "}");
    assertEquals(2 * GIB, provisioned());
    ok("{\"op\":\"delete\",\"name\":\"s.img\"}");
    ok("{\"op\":\"create\",\"name\":\"s.img\",\"size\":\"1G\",\"fs\":\"none\",\"allocation\":\"sparse\"}");
  }

  @Test
  void aFallocateGrowthPastUsableCapacityIsRefusedByRuleOne() throws Exception {
    // committed 256M; usable 1G: growing by 768M + 4 KiB does not fit.
    refusedUnchanged("f.img", GIB + 4096, "INSUFFICIENT_SPACE");
  }

  @Test
  void aSmallerSizeIsABadRequest() throws Exception {
    refusedUnchanged("e.img", 32 * MIB, "BAD_REQUEST");
  }

  @Test
  void vfatCannotBeGrown() throws Exception {
    refusedUnchanged("v.img", 128 * MIB, "UNSUPPORTED");
  }

  @Test
  void aSizeThatIsNotWholeBlocksIsABadRequest() throws Exception {
    JsonNode reply = request("{\"op\":\"resize\",\"name\":\"e.img\",\"size\":70000000}");
    assertEquals("BAD_REQUEST", reply.path("error").path("code").asText(), reply.toString());
  }

  @Test
  void anUnknownVolumeIsNotFound() throws Exception {
    JsonNode reply = request("{\"op\":\"resize\",\"name\":\"nope.img\",\"size\":\"1G\"}");
    assertEquals("NOT_FOUND", reply.path("error").path("code").asText(), reply.toString());
    reply = request("{\"op\":\"reclaim\",\"name\":\"nope.img\"}");
    assertEquals("NOT_FOUND", reply.path("error").path("code").asText(), reply.toString());
  }

  @Test
  void anExtFileSystemThatDoesNotCheckCleanIsNotGrown() throws Exception {
    Tools.assumeInstalled("debugfs");
    ok("{\"op\":\"create\",\"name\":\"dirty.img\",\"size\":\"32M\",\"fs\":\"ext4\",\"allocation\":\"sparse\"}");
    Path image = daemon.pool().resolve("dirty.img");
    // A wrong link count on the root folder: e2fsck -fn finds it (exit 4).
    assertEquals(0, dev.volumed.testing.Guest.run("debugfs", "-w", "-R", "sif <2> links_count 7", image.toString())
        .exit());
    refusedUnchanged("dirty.img", 64 * MIB, "IO_ERROR");
  }

  @Test
  void theSameSizeSucceedsUnchanged() throws Exception {
    JsonNode books = pool();
    JsonNode reply = request("{\"op\":\"resize\",\"name\":\"e.img\",\"size\":\"64M\"}");
    assertTrue(reply.path("ok").asBoolean(), reply.toString());
    assertEquals(64 * MIB, reply.path("result").path("size").asLong());
    assertEquals(64 * MIB, Files.size(daemon.pool().resolve("e.img")));
    assertEquals(books, pool());
  }

  @Test
  void reclaimOfAFallocateVolumeIsABadRequest() throws Exception {
    JsonNode books = pool();
    long blocks = allocated("f.img");
    JsonNode reply = request("{\"op\":\"reclaim\",\"name\":\"f.img\"}");
    assertEquals("BAD_REQUEST", reply.path("error").path("code").asText(), reply.toString());
    assertEquals(blocks, allocated("f.img"));
    assertEquals(books, pool());
  }

  private static void refusedUnchanged(String name, long size, String code) throws Exception {
    JsonNode books = pool();
    long length = Files.size(daemon.pool().resolve(name));
    long blocks = allocated(name);
    JsonNode reply = request("{\"op\":\"resize\",\"name\":\"" + name + "\",\"size\":" + size + "}");
    assertFalse(reply.path("ok").asBoolean(), reply.toString());
    assertEquals(code, reply.path("error").path("code").asText(), reply.toString());
    assertEquals(length, Files.size(daemon.pool().resolve(name)));
    assertEquals(blocks, allocated(name));
    assertEquals(books, pool(), "the books after a refused resize of " + name);
    Path notes = daemon.pool().resolve(".volumed/resizes");
    if (Files.exists(notes)) {
      try (Stream<Path> left = Files.walk(notes)) {
        assertEquals(0, left.filter(Files::isRegularFile).count(), "notes or undo files left behind");
      }
    }
    assertEquals(length, request("{\"op\":\"get\",\"name\":\"" + name + "\"}").path("result").path("size").asLong());
  }

  private static long provisioned() throws Exception {
    return request("{\"op\":\"pools\"}").path("result").path("pools").get(0).path("provisionedBytes").asLong();
  }

  private static long allocated(String name) throws Exception {
    return dev.volumed.disk.PoolStore.allocatedBytes(daemon.pool(), name);
  }

  /** The books without the file system's free bytes (other tenants of the disk move them). */
  private static JsonNode pool() throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode stats = (com.fasterxml.jackson.databind.node.ObjectNode)
        request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
    stats.remove(java.util.List.of("filesystemFreeBytes", "availableForFallocateBytes", "allocatedBytes"));
    return stats;
  }

  private static void ok(String json) throws Exception {
    JsonNode reply = request(json);
    assertTrue(reply.path("ok").asBoolean(), reply.toString());
  }

  static JsonNode request(String json) throws Exception {
    try (LineClient client = LineClient.connect(daemon.socket())) {
      return client.request(json);
    }
  }
}

package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.disk.PoolStore;
import dev.volumed.testing.Guest;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** reclaim through the socket: the blocks of files a guest deleted and of zeros come back; no byte changes. */
class ReclaimTest {
  private static final long MIB = 1L << 20;

  @TempDir
  static Path dir;

  static TestDaemon daemon;

  @BeforeAll
  static void start() throws Exception {
    Tools.assumeInstalled("mkfs.ext4", "e2fsck");
    daemon = TestDaemon.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void givesBackAtLeastNinetyPercentOfAFileTheGuestDeleted() throws Exception {
    Guest.assumeRoot();
    JsonNode made = request("{\"op\":\"create\",\"name\":\"vm/data.img\",\"size\":\"512M\",\"fs\":\"ext4\"}")
        .path("result");
    Path image = Path.of(made.path("path").asText());
    String kept;
    try (Guest.Mount m = new Guest.Mount(image, dir)) {
      kept = Guest.writeFile(m.dir.resolve("keep.bin"), 2, 1);
      Guest.writeFile(m.dir.resolve("big.bin"), 64, 2);
    }
    long withFile = PoolStore.allocatedBytes(daemon.pool(), "vm/data.img");
    try (Guest.Mount m = new Guest.Mount(image, dir)) {
      Files.delete(m.dir.resolve("big.bin"));
    }
    long afterDelete = PoolStore.allocatedBytes(daemon.pool(), "vm/data.img");
    assertTrue(afterDelete >= withFile - MIB, "the host kept the deleted file's blocks: " + withFile + " -> " + afterDelete);

    JsonNode reply = request("{\"op\":\"reclaim\",\"name\":\"vm/data.img\"}");
    assertTrue(reply.path("ok").asBoolean(), reply.toString());
    long reclaimed = reply.path("result").path("reclaimedBytes").asLong();
    assertTrue(reclaimed >= 64 * MIB * 9 / 10, "reclaimed only " + reclaimed + " bytes of a 64 MiB file");
    long now = PoolStore.allocatedBytes(daemon.pool(), "vm/data.img");
    assertEquals(now, reply.path("result").path("volume").path("allocatedBytes").asLong());
    assertTrue(now <= afterDelete - 64 * MIB * 9 / 10, afterDelete + " -> " + now);

    Guest.Run check = Guest.check("ext4", image);
    assertEquals(0, check.exit(), check.output());
    try (Guest.Mount m = new Guest.Mount(image, dir)) {
      assertEquals(kept, Guest.sha256(m.dir.resolve("keep.bin")));
    }
    JsonNode pool = request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
    assertEquals(512 * MIB, pool.path("provisionedBytes").asLong() - otherSizes());
  }

  @Test
  void punchesBlocksOfZerosAndNoByteReadsDifferently() throws Exception {
    JsonNode made = request("{\"op\":\"create\",\"name\":\"zeros.img\",\"size\":\"64M\",\"fs\":\"none\"}").path("result");
    Path image = Path.of(made.path("path").asText());
    byte[] data = new byte[1 << 20];
    new java.util.Random(3).nextBytes(data);
    try (FileChannel channel = FileChannel.open(image, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(new byte[8 << 20]), 4L << 20); // 8 MiB of written zeros
      channel.write(ByteBuffer.wrap(data), 20L << 20);
      channel.write(ByteBuffer.wrap(new byte[6000]), 30L << 20); // one whole zero block and a part
      channel.write(ByteBuffer.wrap(data, 0, 100), (30L << 20) + 6000);
      channel.force(true);
    }
    String sha = Guest.sha256(image);
    long before = PoolStore.allocatedBytes(daemon.pool(), "zeros.img");
    JsonNode reply = request("{\"op\":\"reclaim\",\"name\":\"zeros.img\"}");
    assertTrue(reply.path("ok").asBoolean(), reply.toString());
    long reclaimed = reply.path("result").path("reclaimedBytes").asLong();
    assertTrue(reclaimed >= 8 * MIB, "reclaimed " + reclaimed);
    assertEquals(before - reclaimed, PoolStore.allocatedBytes(daemon.pool(), "zeros.img"));
    assertTrue(PoolStore.allocatedBytes(daemon.pool(), "zeros.img") >= MIB, "the data's blocks stay");
    assertEquals(sha, Guest.sha256(image));
    assertEquals(64 * MIB, Files.size(image));
  }

  /** The sizes of the volumes other than vm/data.img (the tests share one pool). */
  private static long otherSizes() throws Exception {
    long sum = 0;
    for (JsonNode v : request("{\"op\":\"list\"}").path("result").path("volumes")) {
      if (!v.path("name").asText().equals("vm/data.img")) {
        sum += v.path("size").asLong();
      }
    }
    return sum;
  }

  static JsonNode request(String json) throws Exception {
    try (LineClient client = LineClient.connect(daemon.socket())) {
      return client.request(json);
    }
  }
}

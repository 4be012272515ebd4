package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.Guest;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * resize through the socket on real images: a file written inside before (loop mount) is still
 * there after, the checker passes, label and UUID are unchanged, and the books moved by the growth.
 */
class ResizeTest {
  @TempDir
  static Path dir;

  static TestDaemon daemon;

  @BeforeAll
  static void start() throws Exception {
    Guest.assumeRoot();
    Tools.assumeAllFileSystems();
    Tools.assumeInstalled("resize2fs", "e2undo", "xfs_growfs", "xfs_repair", "btrfs", "unshare", "nsenter");
    daemon = TestDaemon.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource(textBlock = """
      ext4,  sparse,    64M,  1G
      ext4,  fallocate, 64M,  96M
      ext4,  full,      64M,  80M
      ext3,  sparse,    64M,  128M
      ext2,  sparse,    64M,  128M
      xfs,   sparse,    320M, 400M
      btrfs, sparse,    128M, 256M
      """)
  void growsTheFileSystemAndKeepsItsFilesLabelAndUuid(String fs, String allocation, String size, String newSize)
      throws Exception {
    String name = "grow-" + fs + "-" + allocation + ".img";
    JsonNode made = request("{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"" + size + "\",\"fs\":\"" + fs
        + "\",\"label\":\"lbl" + fs + "\",\"allocation\":\"" + allocation + "\"}").path("result");
    Path image = Path.of(made.path("path").asText());
    String sha;
    long totalBefore;
    try (Guest.Mount m = new Guest.Mount(image, dir)) {
      totalBefore = Files.getFileStore(m.dir).getTotalSpace();
      Files.createDirectories(m.dir.resolve("etc"));
      sha = Guest.writeFile(m.dir.resolve("etc/data.bin"), 4, 42);
    }
    Map<String, String> before = Guest.blkid(image);
    JsonNode stats = pool();

    JsonNode resized = request("{\"op\":\"resize\",\"name\":\"" + name + "\",\"size\":\"" + newSize + "\"}");
    assertTrue(resized.path("ok").asBoolean(), resized.toString());
    long bytes = dev.volumed.model.Sizes.parse(newSize);
    long grownBy = bytes - made.path("size").asLong();
    assertEquals(bytes, resized.path("result").path("size").asLong());
    assertEquals(bytes, Files.size(image));
    assertEquals(bytes, request("{\"op\":\"get\",\"name\":\"" + name + "\"}").path("result").path("size").asLong());

    Guest.Run check = Guest.check(fs, image);
    assertEquals(0, check.exit(), check.output());
    Map<String, String> after = Guest.blkid(image);
    assertEquals(before.get("UUID"), after.get("UUID"));
    assertEquals(before.get("LABEL"), after.get("LABEL"));
    try (Guest.Mount m = new Guest.Mount(image, dir)) {
      assertEquals(sha, Guest.sha256(m.dir.resolve("etc/data.bin")));
      long total = Files.getFileStore(m.dir).getTotalSpace();
      assertTrue(total >= totalBefore + grownBy * 9 / 10, "the file system inside was not grown: " + totalBefore
          + " -> " + total + " bytes");
    }
    JsonNode now = pool();
    assertEquals(stats.path("provisionedBytes").asLong() + grownBy, now.path("provisionedBytes").asLong());
    long committedGrowth = allocation.equals("sparse") ? 0 : grownBy;
    assertEquals(stats.path("committedBytes").asLong() + committedGrowth, now.path("committedBytes").asLong());
    assertTrue(Files.notExists(daemon.pool().resolve(".volumed/resizes").resolve(name + ".json")));
  }

  @Test
  void swapGetsAHeaderForItsNewSizeWithTheSameUuidAndLabel() throws Exception {
    JsonNode made = request("{\"op\":\"create\",\"name\":\"swap.img\",\"size\":\"64M\",\"fs\":\"swap\","
        + "\"label\":\"sw1\"}").path("result");
    Path image = Path.of(made.path("path").asText());
    Map<String, String> before = Guest.blkid(image);
    JsonNode resized = request("{\"op\":\"resize\",\"name\":\"swap.img\",\"size\":\"128M\"}");
    assertTrue(resized.path("ok").asBoolean(), resized.toString());
    Map<String, String> after = Guest.blkid(image);
    assertEquals("swap", after.get("TYPE"));
    assertEquals(before.get("UUID"), after.get("UUID"));
    assertEquals("sw1", after.get("LABEL"));
    // The swap header (at 1024: version, last_page) now spans the whole image.
    try (FileChannel channel = FileChannel.open(image)) {
      ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(header, 1024);
      assertEquals((128L << 20) / 4096 - 1, header.getInt(4) & 0xffffffffL);
    }
  }

  @Test
  void aRawVolumeKeepsItsBytesAndGrowsByAHole() throws Exception {
    JsonNode made = request("{\"op\":\"create\",\"name\":\"raw.img\",\"size\":\"64M\",\"fs\":\"none\"}")
        .path("result");
    Path image = Path.of(made.path("path").asText());
    byte[] data = new byte[1 << 20];
    new java.util.Random(7).nextBytes(data);
    try (FileChannel channel = FileChannel.open(image, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(data), 3L << 20);
    }
    String sha = Guest.sha256(image);
    long blocks = dev.volumed.disk.PoolStore.allocatedBytes(daemon.pool(), "raw.img");
    JsonNode resized = request("{\"op\":\"resize\",\"name\":\"raw.img\",\"size\":\"1G\"}");
    assertTrue(resized.path("ok").asBoolean(), resized.toString());
    assertEquals(1L << 30, Files.size(image));
    assertEquals(blocks, dev.volumed.disk.PoolStore.allocatedBytes(daemon.pool(), "raw.img"));
    try (FileChannel channel = FileChannel.open(image)) {
      assertEquals(sha, Guest.sha256(channel, 64L << 20));
    }
  }

  private static JsonNode pool() throws Exception {
    return request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
  }

  static JsonNode request(String json) throws Exception {
    try (LineClient client = LineClient.connect(daemon.socket())) {
      return client.request(json);
    }
  }
}

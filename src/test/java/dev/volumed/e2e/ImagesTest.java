package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.disk.PoolStore;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Real images made through the socket: exact length, the blocks the allocation promises, what blkid sees. */
class ImagesTest {
  private static final long MIB = 1L << 20;

  @TempDir
  static Path dir;

  static TestDaemon daemon;

  @BeforeAll
  static void start() throws Exception {
    Tools.assumeAllFileSystems();
    daemon = TestDaemon.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  @Test
  void sparseTenGibExt4CostsOnlyAFewMib() throws Exception {
    JsonNode volume = create("{\"op\":\"create\",\"name\":\"vm1/root.img\",\"size\":\"10G\",\"fs\":\"ext4\","
        + "\"label\":\"root\",\"allocation\":\"sparse\"}");
    Path image = Path.of(volume.get("path").asText());
    assertEquals(daemon.pool().resolve("vm1/root.img"), image);
    assertEquals(10L << 30, Files.size(image));
    long allocated = PoolStore.allocatedBytes(daemon.pool(), "vm1/root.img");
    assertTrue(allocated <= 16 * MIB, "10 GiB sparse ext4 took " + allocated + " bytes");
    assertEquals(allocated, volume.get("allocatedBytes").asLong());
    Map<String, String> blkid = blkid(image);
    assertEquals("ext4", blkid.get("TYPE"));
    assertEquals("root", blkid.get("LABEL"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(textBlock = """
      ext4,  fallocate, 256M
      xfs,   fallocate, 320M
      btrfs, fallocate, 256M
      ext4,  full,      64M
      none,  full,      64M
      none,  fallocate, 64M
      """)
  void reservedAllocationsKeepEveryBlockAfterFormatting(String fs, String allocation, String size) throws Exception {
    String name = "keep-" + fs + "-" + allocation + ".img";
    JsonNode volume = create("{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"" + size + "\",\"fs\":\"" + fs
        + "\",\"allocation\":\"" + allocation + "\"}");
    Path image = Path.of(volume.get("path").asText());
    long bytes = volume.get("size").asLong();
    assertEquals(bytes, Files.size(image));
    assertTrue(PoolStore.allocatedBytes(daemon.pool(), name) >= bytes, name + " has holes after formatting");
    if (!fs.equals("none")) {
      assertEquals(fs, blkid(image).get("TYPE"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(textBlock = """
      ext4,  64M,  data-ext4
      ext3,  64M,  data-ext3
      ext2,  64M,  data-ext2
      xfs,   320M, data-xfs
      btrfs, 256M, data-btrfs
      vfat,  64M,  DATAVFAT
      swap,  64M,  swap-label
      """)
  void eachFileSystemIsWhatBlkidReports(String fs, String size, String label) throws Exception {
    JsonNode volume = create("{\"op\":\"create\",\"name\":\"fs/" + fs + ".img\",\"size\":\"" + size + "\",\"fs\":\""
        + fs + "\",\"label\":\"" + label + "\"}");
    Map<String, String> blkid = blkid(Path.of(volume.get("path").asText()));
    assertEquals(fs, blkid.get("TYPE"));
    assertEquals(label, blkid.get("LABEL"));
    assertEquals("0600", String.format("%04o", (Integer) Files.getAttribute(Path.of(volume.get("path").asText()),
        "unix:mode") & 07777));
  }

  @Test
  void formatFailureLeavesNothingAndReleasesTheReservation() throws Exception {
    JsonNode before = daemon.request("{\"op\":\"pools\"}").at("/result/pools/0");
    // mkfs.xfs refuses file systems under 300 MB.
    JsonNode reply = daemon.request("{\"op\":\"create\",\"name\":\"tiny/xfs.img\",\"size\":\"16M\",\"fs\":\"xfs\"}");
    assertEquals("FORMAT_FAILED", reply.at("/error/code").asText(), reply.toString());
    String message = reply.at("/error/message").asText();
    assertTrue(message.contains("tiny/xfs.img") && !message.contains("volumed-tmp"), message);
    assertFalse(Files.exists(daemon.pool().resolve("tiny")), "the folder made for it is gone too");
    JsonNode after = daemon.request("{\"op\":\"pools\"}").at("/result/pools/0");
    assertEquals(before.get("provisionedBytes"), after.get("provisionedBytes"));
    assertEquals("NOT_FOUND", daemon.request("{\"op\":\"get\",\"name\":\"tiny/xfs.img\"}").at("/error/code").asText());
  }

  @Test
  void createOfAnIdenticalVolumeSaysExistedAndADifferentOneIsRefused() throws Exception {
    String request = "{\"op\":\"create\",\"name\":\"same.img\",\"size\":\"64M\",\"label\":\"same\"}";
    JsonNode first = create(request);
    JsonNode again = create(request);
    assertTrue(again.get("existed").asBoolean());
    assertEquals(first.get("createdAt"), again.get("createdAt"));
    JsonNode different = daemon.request("{\"op\":\"create\",\"name\":\"same.img\",\"size\":\"128M\",\"label\":\"same\"}");
    assertEquals("ALREADY_EXISTS", different.at("/error/code").asText());
  }

  @Test
  void deleteRemovesImageMetadataAndEmptyFolders() throws Exception {
    create("{\"op\":\"create\",\"name\":\"gone/soon.img\",\"size\":\"64M\",\"fs\":\"none\"}");
    JsonNode deleted = daemon.request("{\"op\":\"delete\",\"name\":\"gone/soon.img\"}");
    assertEquals("gone/soon.img", deleted.at("/result/deleted").asText());
    assertFalse(Files.exists(daemon.pool().resolve("gone")));
    assertFalse(Files.exists(daemon.pool().resolve(".volumed/meta/gone/soon.img.json")));
    assertEquals("NOT_FOUND", daemon.request("{\"op\":\"get\",\"name\":\"gone/soon.img\"}").at("/error/code").asText());
  }

  private static JsonNode create(String request) throws Exception {
    JsonNode reply = daemon.request(request);
    assertTrue(reply.get("ok").asBoolean(), request + " -> " + reply);
    return reply.get("result");
  }

  static Map<String, String> blkid(Path image) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("blkid", "-p", "-o", "export", image.toString())
        .redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor();
    Map<String, String> values = new HashMap<>();
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return values;
  }
}

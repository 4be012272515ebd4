package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pool on a loop-mounted ext2, which has no fallocate. Needs root (mount -o loop). */
class UnsupportedFallocateTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext2", "mkfs.ext4", "e2fsck");
  }

  @TempDir Path dir;
  private Path mnt;
  private TestDaemon daemon;

  @BeforeEach
  void mountExt2() throws Exception {
    Assumptions.assumeTrue(Host.IS_ROOT, "needs root to loop-mount an ext2 image");
    Path image = dir.resolve("ext2.img");
    Host.Run made = Host.run("truncate", "-s", "128M", image.toString());
    assertEquals(0, made.exit(), made.output());
    Host.Run mkfs = Host.run("mkfs.ext2", "-F", "-q", image.toString());
    assertEquals(0, mkfs.exit(), mkfs.output());
    mnt = Files.createDirectory(dir.resolve("mnt"));
    Host.Run mount = Host.run("mount", "-o", "loop", image.toString(), mnt.toString());
    Assumptions.assumeTrue(mount.exit() == 0, "mount -o loop failed (no loop devices here?): " + mount.output());
    daemon = TestDaemon.start(dir, "volumed.pools.default.path = \"" + mnt.resolve("pool") + "\"");
  }

  @AfterEach
  void stopAndUnmount() throws Exception {
    try {
      if (daemon != null) {
        daemon.close();
      }
    } finally {
      Host.unmountIfMounted(mnt);
    }
  }

  @Test
  void fallocateOnExt2IsUnsupportedNamingSparseAndFullWhichBothWork() throws Exception {
    Path pool = daemon.pool();
    JsonNode before = books();
    JsonNode reply = daemon.request(
        "{\"op\":\"create\",\"name\":\"vm/f.img\",\"size\":\"32M\",\"fs\":\"ext4\",\"allocation\":\"fallocate\"}");
    assertFalse(reply.path("ok").asBoolean(), reply.toString());
    assertEquals("UNSUPPORTED", reply.path("error").path("code").asText(), reply.toString());
    String message = reply.path("error").path("message").asText();
    assertTrue(message.contains("sparse") && message.contains("full"), message);
    assertEquals(List.of(), Host.imagesOnDisk(pool));
    assertEquals(List.of(), Host.tempFiles(pool));
    assertFalse(Files.exists(pool.resolve(".volumed/meta/vm/f.img.json")));
    JsonNode after = books();
    assertEquals(before.path("committedBytes"), after.path("committedBytes"), after.toString());
    assertEquals(before.path("provisionedBytes"), after.path("provisionedBytes"), after.toString());

    for (String allocation : List.of("sparse", "full")) {
      JsonNode ok = daemon.request("{\"op\":\"create\",\"name\":\"vm/" + allocation + ".img\",\"size\":\"32M\","
          + "\"fs\":\"ext4\",\"allocation\":\"" + allocation + "\"}");
      assertTrue(ok.path("ok").asBoolean(), ok.toString());
      assertEquals(32L << 20, Files.size(pool.resolve("vm/" + allocation + ".img")));
      Host.Run fsck = Host.run("e2fsck", "-n", "-f", pool.resolve("vm/" + allocation + ".img").toString());
      assertEquals(0, fsck.exit(), fsck.output());
    }
    assertEquals(List.of("vm/full.img", "vm/sparse.img"), Host.imagesOnDisk(pool));
  }

  private JsonNode books() throws Exception {
    return daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
  }
}

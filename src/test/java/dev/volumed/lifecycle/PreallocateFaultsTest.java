package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.VolumedProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** preallocate when the host fills under it, and when volumed is killed in the middle. */
class PreallocateFaultsTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void aTmpfsThatFillsMidWayGetsItsBlocksBackAndTheBooksAreAsTheyWere() throws Exception {
    Assumptions.assumeTrue(isRoot(), "needs root to mount a tmpfs");
    Path mnt = Files.createDirectory(dir.resolve("mnt"));
    assertEquals(0, run("mount", "-t", "tmpfs", "-o", "size=64M", "tmpfs", mnt.toString()));
    try {
      try (TestDaemon daemon = TestDaemon.start(dir, "volumed.pools.default.path = \"" + mnt.resolve("pool") + "\"\n"
          + "volumed.io.max-write-bytes-per-second = \"8M\"")) {
        JsonNode made = daemon.request(
            "{\"op\":\"create\",\"name\":\"vm/data.img\",\"size\":\"48M\",\"fs\":\"none\",\"allocation\":\"sparse\"}");
        assertTrue(made.path("ok").asBoolean(), made.toString());
        Path image = mnt.resolve("pool/vm/data.img");
        Images.scribble(image, 0, 7 * MIB + 5, 30 * MIB, 48 * MIB - 4096);
        String content = Images.checksum(image);
        long blocks = Images.allocated(image);
        JsonNode books = books(daemon);
        try (LineClient client = daemon.connect()) {
          client.send("{\"id\":1,\"op\":\"preallocate\",\"name\":\"vm/data.img\",\"mode\":\"full\",\"progress\":true}");
          JsonNode line = client.read();
          assertEquals("progress", line.path("event").asText(), line.toString());
          // Admitted against 64 MiB free; now another tenant takes 30 MiB of them.
          Files.write(mnt.resolve("filler"), new byte[30 * (int) MIB]);
          while (line.has("event")) {
            line = client.read(Duration.ofSeconds(60));
          }
          assertEquals("INSUFFICIENT_SPACE", line.path("error").path("code").asText(), line.toString());
        }
        assertEquals(blocks, Images.allocated(image), "the blocks taken went back");
        assertEquals(content, Images.checksum(image));
        assertEquals(books, books(daemon));
        assertEquals("sparse", daemon.request("{\"op\":\"get\",\"name\":\"vm/data.img\"}").path("result")
            .path("allocation").asText());
      }
    } finally {
      run("umount", mnt.toString());
    }
  }

  @Test
  void sigkillDuringAFullPreallocateLeavesItListedWithItsOldAllocation() throws Exception {
    Path socket = dir.resolve("volumed.sock");
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, String.join("\n",
        "volumed.socket.path = \"" + socket + "\"",
        "volumed.pools.default.path = \"" + dir.resolve("pool") + "\"",
        "volumed.pools.default.reserved-percent = 0",
        "volumed.io.max-write-bytes-per-second = \"4M\"", ""), StandardCharsets.UTF_8);
    Path log = dir.resolve("volumed.log");
    Path image = dir.resolve("pool/vm/data.img");
    String content;
    try (VolumedProcess first = VolumedProcess.start(config, socket, log)) {
      first.result("{\"op\":\"create\",\"name\":\"vm/data.img\",\"size\":\"64M\",\"fs\":\"none\",\"allocation\":\"sparse\"}");
      Images.scribble(image, 0, 9 * MIB + 1, 63 * MIB);
      content = Images.checksum(image);
      try (LineClient client = first.connect()) {
        client.send("{\"id\":1,\"op\":\"preallocate\",\"name\":\"vm/data.img\",\"mode\":\"full\",\"progress\":true}");
        JsonNode line = client.read();
        while (line.path("doneBytes").asLong() == 0) {
          assertEquals("progress", line.path("event").asText(), line.toString());
          line = client.read();
        }
        first.kill(); // zeros are being written
      }
    }
    try (VolumedProcess second = VolumedProcess.start(config, socket, log)) {
      JsonNode volume = second.result("{\"op\":\"get\",\"name\":\"vm/data.img\"}");
      assertEquals("sparse", volume.path("allocation").asText(), volume.toString());
      assertEquals("ready", volume.path("state").asText(), volume.toString());
      assertEquals(content, Images.checksum(image));
      assertEquals(0, second.result("{\"op\":\"pools\"}").path("pools").get(0).path("committedBytes").asLong());
      JsonNode again = second.result("{\"op\":\"preallocate\",\"name\":\"vm/data.img\",\"mode\":\"fallocate\"}");
      assertEquals("fallocate", again.path("allocation").asText(), again.toString());
      assertEquals(content, Images.checksum(image));
    }
  }

  private static JsonNode books(TestDaemon daemon) throws Exception {
    JsonNode pool = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
    return ((com.fasterxml.jackson.databind.node.ObjectNode) pool.deepCopy())
        .retain(List.of("committedBytes", "provisionedBytes", "capacityBytes"));
  }

  private static int run(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).inheritIO().start();
    return p.waitFor();
  }

  private static boolean isRoot() throws Exception {
    return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }
}

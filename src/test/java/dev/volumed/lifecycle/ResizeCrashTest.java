package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.Guest;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.Tools;
import dev.volumed.testing.VolumedProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL during the resize of an ext4 volume with data (1 GiB sparse, a few MiB written, grown by
 * 9 GiB each time), at different moments: each restart finds it at its old size or its new one,
 * image length and metadata agreeing, the books with it, a clean e2fsck, and the file inside intact.
 */
class ResizeCrashTest {
  private static final long GIB = 1L << 30;

  @TempDir
  Path dir;

  @Test
  void aResizeKilledAtAnyMomentLeavesTheOldOrTheNewSizeAndACleanFileSystem() throws Exception {
    Guest.assumeRoot();
    Tools.assumeInstalled("mkfs.ext4", "resize2fs", "e2undo", "e2fsck");
    Path socket = dir.resolve("volumed.sock");
    Path pool = dir.resolve("pool");
    Path config = dir.resolve("volumed.conf");
    Path log = dir.resolve("volumed.log");
    Files.writeString(config, "volumed.socket.path = \"" + socket + "\"\nvolumed.pools.default.path = \"" + pool
        + "\"\nvolumed.pools.default.max-overcommit-ratio = 1000.0\n", StandardCharsets.UTF_8);
    Path image = pool.resolve("vm/data.img");
    String sha;
    long size;
    try (VolumedProcess daemon = VolumedProcess.start(config, socket, log)) {
      size = daemon.result("{\"op\":\"create\",\"name\":\"vm/data.img\",\"size\":\"1G\",\"fs\":\"ext4\"}").path("size")
          .asLong();
      try (Guest.Mount m = new Guest.Mount(image, dir)) {
        sha = Guest.writeFile(m.dir.resolve("data.bin"), 6, 9);
      }
    }
    // Killed: at once; once the note is written; once resize2fs has its undo file; once the image is long.
    Path note = pool.resolve(".volumed/resizes/vm/data.img.json");
    List<LongFunction<BooleanSupplier>> moments = List.of(
        from -> () -> true,
        from -> () -> Files.exists(note),
        from -> () -> Files.exists(pool.resolve(".volumed/resizes/vm/data.img.e2undo")),
        from -> () -> image.toFile().length() > from,
        from -> () -> size(pool, "vm/data.img") > from);
    for (int round = 0; round < moments.size(); round++) {
      try (VolumedProcess daemon = VolumedProcess.start(config, socket, log)) {
        size = assertAgrees(daemon, image, pool, sha, "before round " + round);
        long target = size + 9 * GIB;
        try (LineClient client = daemon.connect()) {
          client.send("{\"id\":1,\"op\":\"resize\",\"name\":\"vm/data.img\",\"size\":" + target + "}");
          awaitOrTimeout(moments.get(round).apply(size), Duration.ofSeconds(20));
          daemon.kill();
        }
      }
    }
    try (VolumedProcess daemon = VolumedProcess.start(config, socket, log)) {
      assertAgrees(daemon, image, pool, sha, "after the last round");
    }
  }

  /** The volume's size, which its image, metadata and books agree on. */
  private static long assertAgrees(VolumedProcess daemon, Path image, Path pool, String sha, String when)
      throws Exception {
    JsonNode volume = daemon.result("{\"op\":\"get\",\"name\":\"vm/data.img\"}");
    long size = volume.path("size").asLong();
    assertEquals("ready", volume.path("state").asText(), when + ": " + volume);
    assertEquals(size, Files.size(image), when + ": the image's length");
    assertTrue((size - GIB) % (9 * GIB) == 0, when + ": " + size + " is no size it was grown to");
    JsonNode stats = daemon.result("{\"op\":\"pools\"}").path("pools").get(0);
    assertEquals(size, stats.path("provisionedBytes").asLong(), when + ": the books");
    try (Stream<Path> left = Files.walk(pool.resolve(".volumed"))) {
      assertEquals(List.of(), left.filter(p -> p.toString().contains("resizes") && Files.isRegularFile(p)).toList(),
          when + ": resize notes left");
    }
    Guest.Run check = Guest.check("ext4", image);
    assertEquals(0, check.exit(), when + ": " + check.output() + "\n" + daemon.describeLog());
    try (Guest.Mount m = new Guest.Mount(image, pool.getParent())) {
      assertEquals(sha, Guest.sha256(m.dir.resolve("data.bin")), when);
      long total = Files.getFileStore(m.dir).getTotalSpace();
      assertTrue(total > size * 9 / 10, when + ": the file system is " + total + " bytes in a " + size + " image");
    }
    return size;
  }

  private static long size(Path pool, String name) {
    try {
      return com.fasterxml.jackson.databind.json.JsonMapper.builder().build()
          .readTree(pool.resolve(".volumed/meta/" + name + ".json").toFile()).path("size").asLong();
    } catch (java.io.IOException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Waits (bounded, without ordering by sleep: it watches the disk) until the moment has come or passed. */
  private static void awaitOrTimeout(BooleanSupplier moment, Duration limit) {
    long end = System.nanoTime() + limit.toNanos();
    while (!moment.getAsBoolean() && System.nanoTime() < end) {
      LockSupport.parkNanos(200_000);
    }
  }
}

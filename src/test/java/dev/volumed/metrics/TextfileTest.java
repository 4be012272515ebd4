package dev.volumed.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumed.metrics.textfile: rewritten after each refresh by replacing the file whole, never in place. */
class TextfileTest {
  @TempDir Path dir;

  private static Object inode(Path file) throws Exception {
    return Files.getAttribute(file, "unix:ino");
  }

  /** Waits (bounded) until the file exists and is not the one with inode {@code old}. */
  private static void awaitReplaced(Path file, Object old, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.exists(file) || inode(file).equals(old)) {
      assertTrue(System.nanoTime() < deadline, () -> file + " was not written again within " + timeout);
      Thread.sleep(50);
    }
  }

  @Test
  void theFileIsReplacedWholeOnEachRefreshAndParses() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("textfile"));
    Path file = folder.resolve("volumed.prom");
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.accounting.refresh-interval = 1s\n"
        + "volumed.metrics.textfile = \"" + file + "\"")) {
      daemon.request("{\"op\":\"create\",\"name\":\"vm1/data.img\",\"size\":\"16M\",\"fs\":\"none\"}");
      JsonNode pool = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
      awaitReplaced(file, null, Duration.ofSeconds(30));
      // Written again by a later refresh (after the create): a new file renamed over the old one.
      Object first = inode(file);
      awaitReplaced(file, first, Duration.ofSeconds(30));
      Object second = inode(file);
      awaitReplaced(file, second, Duration.ofSeconds(30));

      byte[] text = Files.readAllBytes(file);
      Map<String, Double> samples = Scrape.samples(new String(text, java.nio.charset.StandardCharsets.UTF_8));
      assertEquals(pool.path("provisionedBytes").asDouble(), samples.get("volumed_pool_provisioned_bytes{pool=\"default\"}"));
      assertEquals(16.0 * (1 << 20), samples.get("volumed_volume_size_bytes{name=\"vm1/data.img\",pool=\"default\"}"));
      assertEquals(PosixFilePermissions.fromString("rw-r--r--"), Files.getPosixFilePermissions(file),
          "node_exporter, another user, reads it");
      Tools.assumeInstalled("promtool");
      Promtool.Result lint = Promtool.run(text, "check", "metrics");
      assertEquals(0, lint.exitCode(), lint::output);
    }
    // Stopped (no write in flight): nothing but the file itself is left in its folder.
    try (Stream<Path> left = Files.list(folder)) {
      assertEquals(List.of(file), left.toList(), "no temporary file is left beside it");
    }
  }
}

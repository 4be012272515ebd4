package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.disk.PoolStore;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many clients at once through the socket: the ledger admits exactly what fits, and nothing else is made. */
class ConcurrentAdmissionTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4");
  }

  private static final long GIB = 1L << 30;

  @TempDir
  Path dir;

  @Test
  void sixteenParallelFallocatesIntoEightGibGetExactlyEight() throws Exception {
    long free = Files.getFileStore(dir).getUsableSpace();
    assumeTrue(free > 12 * GIB, "needs 12 GiB free on the test disk to fallocate 8 GiB, has " + free);
    try (TestDaemon daemon = TestDaemon.start(dir, """
        volumed.pools.default { capacity = "8G", reserved-percent = 0, max-overcommit-ratio = 1.0 }
        """)) {
      Map<String, List<JsonNode>> outcomes = createConcurrently(daemon, 16,
          i -> "{\"id\":" + i + ",\"op\":\"create\",\"name\":\"vm" + i + "/disk.img\",\"size\":\"1G\","
              + "\"fs\":\"ext4\",\"allocation\":\"fallocate\"}");
      assertEquals(8, outcomes.getOrDefault("ok", List.of()).size(), outcomes.toString());
      assertEquals(8, outcomes.getOrDefault("INSUFFICIENT_SPACE", List.of()).size(), outcomes.toString());

      List<Path> images = images(daemon.pool());
      assertEquals(8, images.size(), images.toString());
      for (Path image : images) {
        assertEquals(GIB, Files.size(image));
        long allocated = PoolStore.allocatedBytes(daemon.pool(), daemon.pool().relativize(image).toString());
        assertTrue(allocated >= GIB, image + " lost blocks to formatting");
      }
      JsonNode pool = daemon.request("{\"op\":\"pools\"}").at("/result/pools/0");
      assertEquals(8 * GIB, pool.get("committedBytes").asLong());
      assertEquals(8 * GIB, pool.get("provisionedBytes").asLong());
      assertEquals(0, pool.get("availableForFallocateBytes").asLong());
    }
  }

  @Test
  void sparseVolumesAreAdmittedUpToTheOvercommitLimit() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, """
        volumed.pools.default { capacity = "4G", reserved-percent = 0, max-overcommit-ratio = 2.0 }
        """)) {
      Map<String, List<JsonNode>> outcomes = createConcurrently(daemon, 12,
          i -> "{\"id\":" + i + ",\"op\":\"create\",\"name\":\"s" + i + ".img\",\"size\":\"1G\",\"fs\":\"ext4\"}");
      assertEquals(8, outcomes.getOrDefault("ok", List.of()).size(), outcomes.toString());
      assertEquals(4, outcomes.getOrDefault("OVERCOMMIT_LIMIT", List.of()).size(), outcomes.toString());
      JsonNode pool = daemon.request("{\"op\":\"pools\"}").at("/result/pools/0");
      assertEquals(8 * GIB, pool.get("provisionedBytes").asLong());
      assertEquals(0, pool.get("committedBytes").asLong());
      assertEquals(0, pool.get("availableForSparseBytes").asLong());

      JsonNode smallest = daemon.request("{\"op\":\"create\",\"name\":\"one-more.img\",\"size\":4096,\"fs\":\"none\"}");
      assertEquals("OVERCOMMIT_LIMIT", smallest.at("/error/code").asText());
      assertEquals(8, images(daemon.pool()).size());
    }
  }

  /** Sends each request on its own connection, all at once; outcomes by "ok" or error code. */
  static Map<String, List<JsonNode>> createConcurrently(TestDaemon daemon, int clients, Function<Integer, String> request)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Callable<JsonNode>> calls = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        String line = request.apply(i);
        calls.add(() -> daemon.request(line));
      }
      List<JsonNode> replies = new ArrayList<>();
      for (Future<JsonNode> future : pool.invokeAll(calls)) {
        replies.add(future.get());
      }
      return replies.stream().collect(Collectors.groupingBy(
          r -> r.get("ok").asBoolean() ? "ok" : r.at("/error/code").asText()));
    } finally {
      pool.shutdownNow();
    }
  }

  /** The published images: regular files under the pool but the metadata folder. */
  static List<Path> images(Path pool) throws Exception {
    try (Stream<Path> paths = Files.walk(pool)) {
      return paths.filter(Files::isRegularFile)
          .filter(p -> !pool.relativize(p).toString().startsWith("."))
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted().toList();
    }
  }
}

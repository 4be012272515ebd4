package dev.volumed.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real daemon serving its metrics: the pool gauges equal the books, requests are counted by op and code. */
class DaemonMetricsTest {
  @TempDir Path dir;

  private static final String POOL = "{pool=\"default\"}";

  private static TestDaemon start(Path dir, int port, String more) throws Exception {
    return TestDaemon.start(dir, "volumed.metrics.listen = \"127.0.0.1:" + port + "\"\n" + more);
  }

  /** The default pool's books in the pools reply against the gauges scraped right after it. */
  private static void assertGaugesEqualTheBooks(TestDaemon daemon, int port, int volumes) throws Exception {
    JsonNode pool = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
    Map<String, Double> samples = Scrape.samples(Scrape.metrics(port));
    assertEquals(volumes, pool.path("volumes").asInt(), pool::toString);
    assertEquals(pool.path("provisionedBytes").asDouble(), samples.get("volumed_pool_provisioned_bytes" + POOL));
    assertEquals(pool.path("committedBytes").asDouble(), samples.get("volumed_pool_committed_bytes" + POOL));
    assertEquals(pool.path("volumes").asDouble(), samples.get("volumed_pool_volumes" + POOL));
    assertEquals(pool.path("capacityBytes").asDouble(), samples.get("volumed_pool_capacity_bytes" + POOL));
    assertEquals(pool.path("maxOvercommitRatio").asDouble(), samples.get("volumed_pool_max_overcommit_ratio" + POOL));
    assertEquals(pool.path("allocatedBytes").asDouble(), samples.get("volumed_pool_allocated_bytes" + POOL));
    double level = java.util.List.of("ok", "warn", "critical", "full").indexOf(pool.path("level").asText());
    assertEquals(level, samples.get("volumed_pool_level" + POOL), pool::toString);
  }

  @Test
  void poolAndVolumeGaugesEqualTheBooksAfterCreatesAndDeletes() throws Exception {
    Tools.assumeInstalled("mkfs.ext4");
    int port = Scrape.freePort();
    try (TestDaemon daemon = start(dir, port, "")) {
      assertGaugesEqualTheBooks(daemon, port, 0);
      daemon.request("{\"op\":\"create\",\"name\":\"vm1/root.img\",\"size\":\"64M\",\"fs\":\"ext4\"}");
      daemon.request("{\"op\":\"create\",\"name\":\"vm1/swap.img\",\"size\":\"8M\",\"fs\":\"none\","
          + "\"allocation\":\"fallocate\"}");
      daemon.request("{\"op\":\"create\",\"name\":\"vm2/data.img\",\"size\":\"16M\",\"fs\":\"none\"}");
      assertGaugesEqualTheBooks(daemon, port, 3);
      Map<String, Double> samples = Scrape.samples(Scrape.metrics(port));
      assertEquals(64.0 * (1 << 20), samples.get("volumed_volume_size_bytes{name=\"vm1/root.img\",pool=\"default\"}"));
      assertEquals(8.0 * (1 << 20), samples.get("volumed_volume_allocated_bytes{name=\"vm1/swap.img\",pool=\"default\"}"));
      assertEquals(1.0, samples.get("volumed_format_duration_seconds_count{fs=\"ext4\"}"));

      daemon.request("{\"op\":\"delete\",\"name\":\"vm1/swap.img\"}");
      assertGaugesEqualTheBooks(daemon, port, 2);
      assertFalse(Scrape.metrics(port).contains("vm1/swap.img"), "a deleted volume's series go");
    }
  }

  @Test
  void requestsAreCountedByOpAndCodeAndAClientCannotMakeNewSeries() throws Exception {
    int port = Scrape.freePort();
    try (TestDaemon daemon = start(dir, port, "volumed.metrics.per-volume = false")) {
      Map<String, Double> before = Scrape.samples(Scrape.metrics(port));
      try (LineClient client = daemon.connect()) {
        client.request("{\"id\":1,\"op\":\"ping\"}");
        client.request("{\"id\":2,\"op\":\"get\",\"name\":\"missing.img\"}");
        client.request("{\"id\":3,\"op\":\"get\",\"name\":\"../escape.img\"}");
        client.request("{\"id\":4,\"op\":\"no-such-op-" + System.nanoTime() + "\"}");
        client.request("{\"id\":5,\"op\":\"create\",\"name\":\"big.img\",\"size\":\"1024T\",\"fs\":\"none\"}");
        client.request("[\"not an object\"]");
      }
      String text = Scrape.metrics(port);
      Map<String, Double> after = Scrape.samples(text);
      for (Map.Entry<String, Integer> expected : Map.of(
          "volumed_requests_total{code=\"OK\",op=\"ping\"}", 1,
          "volumed_requests_total{code=\"NOT_FOUND\",op=\"get\"}", 1,
          "volumed_requests_total{code=\"INVALID_NAME\",op=\"get\"}", 1,
          "volumed_requests_total{code=\"UNKNOWN_OP\",op=\"unknown\"}", 1,
          "volumed_requests_total{code=\"OVERCOMMIT_LIMIT\",op=\"create\"}", 1,
          "volumed_requests_total{code=\"BAD_REQUEST\",op=\"unknown\"}", 1,
          "volumed_request_duration_seconds_count{op=\"get\"}", 2).entrySet()) {
        assertEquals(expected.getValue().doubleValue(), Scrape.value(after, expected.getKey()) - Scrape.value(before, expected.getKey()),
            () -> expected.getKey() + " in:\n" + text);
      }
      assertFalse(text.contains("no-such-op"), "an op the client made up is not a label value");
      assertTrue(text.contains("volumed_pool_provisioned_bytes{pool=\"default\"}"), text);
      assertFalse(text.contains("volumed_volume_"), "per-volume series are off");
    }
  }
}

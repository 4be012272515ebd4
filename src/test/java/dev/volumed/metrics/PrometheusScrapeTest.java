package dev.volumed.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with a real Prometheus server (Debian's package prometheus) on loopback scraping a
 * real volumed every second: what its HTTP API answers for volumed_pool_provisioned_bytes is what
 * the pools op says, and it loads the shipped alerting rules.
 */
class PrometheusScrapeTest {
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void prometheusReadsTheProvisionedBytesThatThePoolsOpShows() throws Exception {
    Tools.assumeInstalled("prometheus");
    int metricsPort = Scrape.freePort();
    int prometheusPort = Scrape.freePort();
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.metrics.listen = \"127.0.0.1:" + metricsPort + "\"")) {
      daemon.request("{\"op\":\"create\",\"name\":\"vm1/data.img\",\"size\":\"48M\",\"fs\":\"none\"}");
      daemon.request("{\"op\":\"create\",\"name\":\"vm2/data.img\",\"size\":\"16M\",\"fs\":\"none\","
          + "\"allocation\":\"fallocate\"}");
      long provisioned = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0)
          .path("provisionedBytes").asLong();
      assertEquals(64L << 20, provisioned);

      Path config = dir.resolve("prometheus.yml");
      Files.writeString(config, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
          + "rule_files:\n  - " + AlertRulesTest.RULES.toAbsolutePath() + "\n"
          + "scrape_configs:\n  - job_name: volumed\n    static_configs:\n"
          + "      - targets: ['127.0.0.1:" + metricsPort + "']\n");
      Path log = dir.resolve("prometheus.log");
      Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
          "--storage.tsdb.path=" + Files.createDirectories(dir.resolve("tsdb")),
          "--web.listen-address=127.0.0.1:" + prometheusPort)
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      try {
        URI api = URI.create("http://127.0.0.1:" + prometheusPort + "/api/v1/");
        JsonNode sample = awaitResult(api, "volumed_pool_provisioned_bytes{pool=\"default\",job=\"volumed\"}", log);
        assertEquals(provisioned, Long.parseLong(sample.path("value").get(1).asText()), sample::toString);
        assertEquals("127.0.0.1:" + metricsPort, sample.path("metric").path("instance").asText());

        JsonNode groups = JSON.readTree(Scrape.get(api.resolve("rules"))).path("data").path("groups");
        List<String> alerts = groups.findValues("name").stream().map(JsonNode::asText).toList();
        assertTrue(alerts.containsAll(List.of("VolumedPoolCritical", "VolumedPoolNearOvercommitLimit")),
            groups::toString);
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** The first sample of an instant query, once Prometheus has scraped it (bounded wait). */
  private static JsonNode awaitResult(URI api, String query, Path log) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        JsonNode answer = JSON.readTree(Scrape.get(
            api.resolve("query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8))));
        JsonNode result = answer.path("data").path("result");
        if (result.size() > 0) {
          return result.get(0);
        }
        last = answer.toString();
      } catch (java.io.IOException | AssertionError notUpYet) {
        last = notUpYet.toString();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("Prometheus had no " + query + " within " + WAIT + " (" + last + "); its log:\n"
        + Files.readString(log));
  }
}

package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.VolumedProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * What held up when volumed was probed as a hostile client and a careless operator would, kept
 * from regressing: SIGKILL with hundreds of deletes in flight, foreign images adopted across a
 * kill, create/delete churn on shared names, hundreds of connections at once, a slowloris line,
 * and SIGTERM in the middle of an atomic batch. Each ends with books = list = disk.
 */
class HeldUpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MIB = 1L << 20;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;
  private Path config;
  private Path socket;
  private Path pool;
  private Path log;
  private final List<VolumedProcess> started = new ArrayList<>();

  @BeforeEach
  void writeConfig() throws IOException {
    socket = dir.resolve("run/volumed.sock");
    pool = dir.resolve("pools/default");
    log = dir.resolve("volumed.log");
    config = dir.resolve("volumed.conf");
    Files.writeString(config, String.join("\n",
        "volumed.socket.path = \"" + socket + "\"",
        "volumed.socket.idle-timeout = 2s",
        "volumed.pools.default.path = \"" + pool + "\"",
        "volumed.pools.default.reserved-percent = 0",
        "volumed.format.parallelism = 4",
        "volumed.shutdown.grace = 0s",
        ""), StandardCharsets.UTF_8);
  }

  @AfterEach
  void killWhatIsStillRunning() throws Exception {
    for (VolumedProcess p : started) {
      p.close();
    }
  }

  @Test
  void sigkillWithFourHundredDeletesInFlightLeavesBooksListAndDiskInAgreement() throws Exception {
    VolumedProcess daemon = start();
    createRaw(daemon, "d", 400);
    // 8 connections x 50 pipelined deletes (below the per-connection in-flight bound), then SIGKILL.
    List<LineClient> clients = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      LineClient client = daemon.connect();
      clients.add(client);
      StringBuilder lines = new StringBuilder();
      for (int i = c * 50; i < (c + 1) * 50; i++) {
        lines.append("{\"id\":").append(i).append(",\"op\":\"delete\",\"name\":\"d/v").append(i).append(".img\"}\n");
      }
      client.sendRaw(lines.toString().getBytes(StandardCharsets.UTF_8));
    }
    clients.get(0).read(Duration.ofSeconds(30)); // at least one delete has finished
    daemon.kill();
    for (LineClient client : clients) {
      client.close();
    }

    Map<String, JsonNode> left = verify(start(), "after SIGKILL with deletes in flight");
    assertTrue(left.size() < 400, "the first delete had replied, so fewer than 400 remain: " + left.size());
  }

  @Test
  void sixHundredForeignImagesAreAdoptedAcrossAKill() throws Exception {
    for (int i = 0; i < 600; i++) {
      Path image = pool.resolve("foreign/f" + i + ".img");
      Files.createDirectories(image.getParent());
      try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
        file.setLength(MIB);
      }
    }
    // Killed while it adopts (or just after): the next start finds every image, each adopted once.
    Process first = VolumedProcess.command(config).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    try {
      awaitLogLine("adopted foreign/", Duration.ofSeconds(60));
    } finally {
      first.destroyForcibly().waitFor();
    }

    Map<String, JsonNode> volumes = verify(start(), "after a kill during adoption");
    assertEquals(600, volumes.size(), "every foreign image adopted");
    assertTrue(volumes.values().stream().allMatch(v -> v.path("adopted").asBoolean()), "all marked adopted");
  }

  @Test
  void createDeleteChurnOnSharedNamesEndsWithBooksListAndDiskInAgreement() throws Exception {
    VolumedProcess daemon = start();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        long seed = c;
        runs.add(clients.submit(() -> churn(daemon, new Random(seed), 60)));
      }
      int answered = 0;
      for (Future<Integer> run : runs) {
        answered += run.get();
      }
      assertEquals(8 * 60, answered, "every request answered once");
    } finally {
      clients.shutdownNow();
    }
    verify(daemon, "after churn");
  }

  @Test
  void fiveHundredConnectionsAtOnceAreServedOrToldOverloadedAndTheDaemonStaysUp() throws Exception {
    VolumedProcess daemon = start();
    List<LineClient> clients = new ArrayList<>();
    int served = 0;
    int overloaded = 0;
    try {
      for (int i = 0; i < 500; i++) {
        clients.add(daemon.connect());
      }
      for (int i = 0; i < clients.size(); i++) {
        try {
          clients.get(i).send("{\"id\":" + i + ",\"op\":\"ping\"}");
        } catch (IOException refused) {
          // One past max-connections is answered OVERLOADED and closed before it can send.
        }
      }
      for (LineClient client : clients) {
        JsonNode reply = client.read(Duration.ofSeconds(30));
        if (reply.path("ok").asBoolean()) {
          served++;
        } else {
          assertEquals("OVERLOADED", reply.path("error").path("code").asText(), reply.toString());
          overloaded++;
        }
      }
    } finally {
      for (LineClient client : clients) {
        client.close();
      }
    }
    assertEquals(500, served + overloaded);
    assertTrue(served >= 1 && overloaded >= 1, "served " + served + ", overloaded " + overloaded);
    assertTrue(daemon.result("{\"op\":\"ping\"}").has("version"), "ping after the connections closed");
  }

  @Test
  void aSlowlorisLineIsClosedAtTheIdleTimeoutWhileOthersAreServed() throws Exception {
    VolumedProcess daemon = start();
    try (LineClient slow = daemon.connect()) {
      long began = System.nanoTime();
      boolean closed = false;
      // One byte every 200 ms, never a newline: the connection is closed within the 2 s idle timeout.
      for (int i = 0; i < 60 && !closed; i++) {
        try {
          slow.sendRaw(new byte[] {'{'});
        } catch (IOException e) {
          closed = true;
          break;
        }
        assertTrue(daemon.result("{\"op\":\"ping\"}").has("version"), "others are served meanwhile");
        closed = slow.closedByPeer(Duration.ofMillis(200));
      }
      assertTrue(closed, "a line that never ends is closed at the idle timeout");
      long seconds = (System.nanoTime() - began) / 1_000_000_000L;
      assertTrue(seconds < 8, "closed after " + seconds + " s, idle-timeout is 2 s");
    }
  }

  @Test
  void sigtermDuringAnAtomicBatchRollsItBackWhole() throws Exception {
    VolumedProcess daemon = start();
    ObjectNode request = JSON.createObjectNode().put("id", "b").put("op", "batch").put("atomic", true)
        .put("progress", true);
    ArrayNode list = request.putArray("volumes");
    for (int i = 0; i < 120; i++) {
      list.addObject().put("name", "b/v" + i + ".img").put("size", "32M").put("fs", "ext4");
    }
    try (LineClient client = daemon.connect()) {
      client.send(request.toString());
      for (int i = 0; i < 10; i++) {
        JsonNode line = client.read(Duration.ofSeconds(60));
        assertTrue(line.has("event"), "progress before the batch's end: " + line);
      }
      assertEquals(0, daemon.terminate(), daemon.describeLog());
    }
    Map<String, JsonNode> volumes = verify(start(), "after SIGTERM during an atomic batch");
    assertEquals(Map.of(), volumes, "an atomic batch stopped by SIGTERM leaves none of its volumes");
  }

  // helpers

  private VolumedProcess start() throws Exception {
    VolumedProcess p = VolumedProcess.start(config, socket, log);
    started.add(p);
    return p;
  }

  private static void createRaw(VolumedProcess daemon, String prefix, int count) throws Exception {
    ObjectNode request = JSON.createObjectNode().put("op", "batch").put("atomic", true);
    ArrayNode list = request.putArray("volumes");
    for (int i = 0; i < count; i++) {
      list.addObject().put("name", prefix + "/v" + i + ".img").put("size", "1M").put("fs", "none");
    }
    JsonNode result = daemon.result(request.toString());
    assertEquals(count, result.path("created").size(), result.toString());
  }

  /** Random creates and deletes of 6 shared names; returns how many requests were answered. */
  private static int churn(VolumedProcess daemon, Random random, int requests) throws Exception {
    int answered = 0;
    try (LineClient client = daemon.connect()) {
      for (int i = 0; i < requests; i++) {
        String name = "churn/n" + random.nextInt(6) + ".img";
        String line = random.nextBoolean()
            ? "{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"1M\",\"fs\":\"none\"}"
            : "{\"op\":\"delete\",\"name\":\"" + name + "\"}";
        JsonNode reply = client.request(line);
        if (!reply.path("ok").asBoolean()) {
          String code = reply.path("error").path("code").asText();
          assertTrue(List.of("BUSY", "NOT_FOUND").contains(code), reply.toString());
        }
        answered++;
      }
    }
    return answered;
  }

  private void awaitLogLine(String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
        return;
      }
      Thread.sleep(20); // polling another process's log: there is nothing to await on
    }
    throw new AssertionError("no log line with \"" + text + "\" within " + timeout);
  }

  /** No temporary file, list = images on disk = metadata files, books = sums; the listed volumes. */
  private Map<String, JsonNode> verify(VolumedProcess daemon, String when) throws Exception {
    Map<String, JsonNode> listed = Host.listAgreesWithDisk(daemon, pool, when);
    long provisioned = 0;
    for (JsonNode v : listed.values()) {
      assertEquals("ready", v.path("state").asText(), v.toString());
      assertEquals(v.path("size").asLong(), Files.size(pool.resolve(v.path("name").asText())), v.toString());
      provisioned += v.path("size").asLong();
    }
    JsonNode books = daemon.result("{\"op\":\"pools\"}").path("pools").get(0);
    assertEquals(provisioned, books.path("provisionedBytes").asLong(), "provisionedBytes " + when + ": " + books);
    assertFalse(books.path("inFlight").asInt() > 0, "nothing in flight " + when + ": " + books);
    return listed;
  }
}

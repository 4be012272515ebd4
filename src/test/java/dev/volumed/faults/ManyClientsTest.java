package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64 clients at once, each on its own connection, 100 mixed requests each (some pipelined): every
 * request gets exactly one reply with its id, none lost, none doubled; then the books agree with
 * {@code list} and with what the clients made and deleted.
 */
class ManyClientsTest {
  private static final int CLIENTS = 64;
  private static final int REQUESTS = 100;

  @TempDir Path dir;

  /** What one client saw. */
  private record Outcome(int sent, int replies, Set<String> live, Map<String, Integer> ops) {}

  @Test
  void sixtyFourClientsPipeliningMixedRequestsGetEveryReplyExactlyOnceAndTheBooksAgree() throws Exception {
    long seed = Long.getLong("clients.seed", System.nanoTime());
    System.out.println("ManyClientsTest seed " + seed);
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.socket.max-connections = 128")) {
      ExecutorService threads = Executors.newFixedThreadPool(CLIENTS);
      CountDownLatch connected = new CountDownLatch(CLIENTS);
      List<Future<Outcome>> futures = new ArrayList<>();
      long started = System.nanoTime();
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        futures.add(threads.submit(() -> runClient(daemon, client, new Random(seed + client), connected)));
      }
      int sent = 0;
      int replies = 0;
      Set<String> live = new TreeSet<>();
      Map<String, Integer> ops = new java.util.TreeMap<>();
      for (Future<Outcome> f : futures) {
        Outcome o = f.get(120, TimeUnit.SECONDS);
        sent += o.sent();
        replies += o.replies();
        live.addAll(o.live());
        o.ops().forEach((op, n) -> ops.merge(op, n, Integer::sum));
      }
      long millis = (System.nanoTime() - started) / 1_000_000;
      threads.shutdown();
      assertEquals(CLIENTS * REQUESTS, sent);
      assertEquals(sent, replies, "replies");

      long provisioned = 0;
      long committed = 0;
      Set<String> listed = new TreeSet<>();
      for (JsonNode v : daemon.request("{\"op\":\"list\",\"pool\":\"default\"}").path("result").path("volumes")) {
        listed.add(v.path("name").asText());
        provisioned += v.path("size").asLong();
        committed += v.path("allocation").asText().equals("sparse") ? 0 : v.path("size").asLong();
      }
      assertEquals(live, listed, "volumes the clients made and did not delete vs list");
      assertEquals(new ArrayList<>(listed), Host.imagesOnDisk(daemon.pool()), "list vs disk");
      JsonNode books = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
      assertEquals(provisioned, books.path("provisionedBytes").asLong(), books.toString());
      assertEquals(committed, books.path("committedBytes").asLong(), books.toString());
      System.out.printf("ManyClientsTest: %d clients x %d requests = %d requests, %d replies, each matched once by id;"
          + " ops %s; %d volumes left; wall time %d ms%n", CLIENTS, REQUESTS, sent, replies, ops, listed.size(), millis);
    }
  }

  private static Outcome runClient(TestDaemon daemon, int client, Random random, CountDownLatch connected)
      throws Exception {
    Set<String> live = new TreeSet<>();
    Map<String, Integer> ops = new HashMap<>();
    int sent = 0;
    int replies = 0;
    int made = 0;
    try (LineClient conn = daemon.connect()) {
      connected.countDown();
      assertTrue(connected.await(60, TimeUnit.SECONDS), "not all clients connected");
      while (sent < REQUESTS) {
        int group = Math.min(REQUESTS - sent, random.nextInt(4) == 0 ? 2 + random.nextInt(8) : 1);
        Map<String, String> pending = new LinkedHashMap<>(); // id -> what a correct reply must be
        Map<String, String> volumeOf = new HashMap<>();
        Set<String> deletingNow = new TreeSet<>();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < group; i++) {
          String id = "c" + client + "-" + (sent + i);
          int pick = random.nextInt(100);
          String op;
          String line;
          if (pick < 40) {
            op = "ping";
            line = "{\"id\":\"" + id + "\",\"op\":\"ping\"}";
          } else if (pick < 52) {
            op = "list";
            line = "{\"id\":\"" + id + "\",\"op\":\"list\"}";
          } else if (pick < 62) {
            op = "pools";
            line = "{\"id\":\"" + id + "\",\"op\":\"pools\"}";
          } else if (pick < 74) {
            op = "get";
            String name = live.isEmpty() || random.nextBoolean() ? "mc/c" + client + "/none.img" : live.iterator().next();
            line = "{\"id\":\"" + id + "\",\"op\":\"get\",\"name\":\"" + name + "\"}";
          } else if (pick < 90 || live.isEmpty()) {
            op = "create";
            String name = "mc/c" + client + "/v" + (made++) + ".img";
            String allocation = random.nextInt(4) == 0 ? "fallocate" : "sparse";
            line = "{\"id\":\"" + id + "\",\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\""
                + (4 << random.nextInt(5)) + "K\",\"fs\":\"none\",\"allocation\":\"" + allocation + "\"}";
            volumeOf.put(id, name);
          } else {
            op = "delete";
            String name = live.stream().filter(n -> !deletingNow.contains(n)).findFirst().orElse(null);
            if (name == null) {
              op = "ping";
              line = "{\"id\":\"" + id + "\",\"op\":\"ping\"}";
            } else {
              deletingNow.add(name);
              volumeOf.put(id, name);
              line = "{\"id\":\"" + id + "\",\"op\":\"delete\",\"name\":\"" + name + "\"}";
            }
          }
          ops.merge(op, 1, Integer::sum);
          pending.put(id, op);
          lines.append(line).append('\n');
        }
        conn.sendRaw(lines.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        sent += group;
        while (!pending.isEmpty()) {
          JsonNode reply = conn.read(Duration.ofSeconds(60));
          String id = reply.path("id").asText();
          String op = pending.remove(id);
          if (op == null) {
            throw new AssertionError("client " + client + ": reply to an id that is not pending (lost or duplicated): "
                + reply);
          }
          replies++;
          boolean ok = reply.path("ok").asBoolean();
          switch (op) {
            case "get" -> assertTrue(ok || reply.path("error").path("code").asText().equals("NOT_FOUND"), reply.toString());
            case "create" -> {
              assertTrue(ok, reply.toString());
              live.add(volumeOf.get(id));
            }
            case "delete" -> {
              assertTrue(ok, reply.toString());
              live.remove(volumeOf.get(id));
            }
            default -> assertTrue(ok, reply.toString());
          }
        }
      }
      // Nothing more is coming on this connection: the next reply is the one to this last ping.
      JsonNode end = conn.request("{\"id\":\"end-" + client + "\",\"op\":\"ping\"}");
      assertEquals("end-" + client, end.path("id").asText(), "an extra reply arrived: " + end);
    }
    return new Outcome(sent, replies, live, ops);
  }
}

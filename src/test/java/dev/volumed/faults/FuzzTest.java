package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of random and malformed lines against an in-process volumed: every line gets exactly
 * one reply (an oversized one gets FRAME_TOO_LARGE and the connection closes), the daemon still
 * answers at the end, whatever garbage happened to create lies inside the pool and is listed,
 * and nothing outside the pool changed. The seed is printed; repeat with {@code -Dfuzz.seed=N}.
 */
class FuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final int MAX_LINE = 64 * 1024;
  private static final int LINES = 12_000;
  private static final int CONNECTIONS = 6;
  private static final int CHUNK = 200;
  private static final Set<String> CODES = Set.of("BAD_REQUEST", "UNKNOWN_OP", "INVALID_NAME", "UNKNOWN_POOL",
      "NOT_FOUND", "ALREADY_EXISTS", "BUSY", "INSUFFICIENT_SPACE", "OVERCOMMIT_LIMIT", "UNSUPPORTED", "FORMAT_FAILED",
      "IO_ERROR", "PERMISSION_DENIED", "FRAME_TOO_LARGE", "OVERLOADED", "SHUTTING_DOWN", "INTERNAL");
  private static final List<String> OPS = List.of("ping", "pools", "create", "batch", "get", "list", "delete",
      "resize", "preallocate", "PING", "", "create ", "shutdown", "__proto__", "toString");

  @TempDir Path dir;

  @Test
  void randomAndMalformedLinesEachGetOneReplyAndLeaveNothingOutsideThePool() throws Exception {
    long seed = Long.getLong("fuzz.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("FuzzTest seed " + seed + " (repeat with -Dfuzz.seed=" + seed + ")");
    long started = System.nanoTime();

    // Siblings of the pool that a name escaping it would reach.
    Path home = dir.resolve("d");
    Files.createDirectories(home.resolve("outside"));
    Files.writeString(home.resolve("outside/keep.txt"), "keep");
    Files.writeString(dir.resolve("keep.txt"), "keep");

    try (TestDaemon daemon = TestDaemon.start(home, String.join("\n",
        "volumed.socket.max-line-bytes = " + MAX_LINE,
        // Lines are pipelined in chunks of 200: let them all be in flight rather than OVERLOADED.
        "volumed.socket.max-in-flight-per-connection = 256",
        "volumed.pools.default.capacity = \"256M\"",
        "volumed.pools.default.max-overcommit-ratio = 1.0",
        "volumed.format.timeout = 30s"))) {
      Path pool = daemon.pool();
      List<String> outsideBefore = outsidePool(pool);

      List<byte[]> lines = new ArrayList<>();
      for (int i = 0; i < LINES; i++) {
        lines.add(random.nextInt(10) == 0
            ? ("{\"id\":\"ping-" + i + "\",\"op\":\"ping\"}").getBytes(StandardCharsets.UTF_8)
            : badLine(random));
      }
      int pings = (int) lines.stream().filter(l -> new String(l, StandardCharsets.UTF_8).startsWith("{\"id\":\"ping-")).count();

      // Pipelined in chunks on several connections at once; replies counted per chunk.
      Map<String, AtomicInteger> codes = new ConcurrentHashMap<>();
      AtomicInteger okPings = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(CONNECTIONS);
      List<Future<Integer>> replies = new ArrayList<>();
      for (int c = 0; c < CONNECTIONS; c++) {
        List<byte[]> mine = lines.subList(c * LINES / CONNECTIONS, (c + 1) * LINES / CONNECTIONS);
        replies.add(clients.submit(() -> sendAndCount(daemon, mine, codes, okPings)));
      }
      int replied = 0;
      for (Future<Integer> f : replies) {
        replied += f.get();
      }
      clients.shutdown();

      // Oversized lines, each on its own connection after two pipelined pings: two replies, one
      // FRAME_TOO_LARGE, then the connection is closed.
      int oversized = 0;
      for (int i = 0; i < 5; i++) {
        try (LineClient client = daemon.connect()) {
          byte[] big = randomBytes(random, MAX_LINE + 1 + random.nextInt(3 * MAX_LINE));
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          out.writeBytes("{\"id\":1,\"op\":\"ping\"}\n{\"id\":2,\"op\":\"ping\"}\n".getBytes(StandardCharsets.UTF_8));
          out.writeBytes(big);
          out.write('\n');
          out.writeBytes("{\"id\":3,\"op\":\"ping\"}\n".getBytes(StandardCharsets.UTF_8));
          try {
            client.sendRaw(out.toByteArray());
          } catch (java.io.IOException closedWhileWriting) {
            // the daemon may close before it has read everything
          }
          Set<String> got = new TreeSet<>();
          for (int r = 0; r < 3; r++) {
            JsonNode reply = client.read(Duration.ofSeconds(30));
            got.add(reply.path("ok").asBoolean() ? "ok " + reply.path("id") : reply.path("error").path("code").asText());
          }
          assertEquals(Set.of("ok 1", "ok 2", "FRAME_TOO_LARGE"), got);
          assertTrue(client.closedByPeer(Duration.ofSeconds(10)), "connection still open after FRAME_TOO_LARGE");
          oversized++;
        }
      }

      assertEquals(LINES, replied, "replies to " + LINES + " lines");
      assertEquals(pings, okPings.get(), "interleaved pings answered ok");
      JsonNode ping = daemon.request("{\"id\":\"last\",\"op\":\"ping\"}");
      assertTrue(ping.path("ok").asBoolean(), ping.toString());

      // Whatever a random line created is a listed volume inside the pool; nothing else changed.
      List<String> listed = new ArrayList<>();
      for (JsonNode v : daemon.request("{\"op\":\"list\"}").path("result").path("volumes")) {
        listed.add(v.path("name").asText());
        assertTrue(Path.of(v.path("path").asText()).normalize().startsWith(pool), v.toString());
      }
      listed.sort(null);
      assertEquals(Host.imagesOnDisk(pool), listed, "images on disk vs list");
      assertEquals(List.of(), Host.tempFiles(pool));
      assertEquals(outsideBefore, outsidePool(pool), "files outside the pool");
      assertFalse(codes.containsKey("INTERNAL"), "INTERNAL replies to bad input: " + codes);

      System.out.printf("FuzzTest: %d bad inputs tried (%d lines incl. %d pings, plus %d oversized), %d replies,"
          + " outcomes %s, %d volumes created by chance, %d ms%n", LINES - pings + oversized, LINES, pings, oversized,
          replied, new TreeMap<>(codes), listed.size(), (System.nanoTime() - started) / 1_000_000);
    }
  }

  /** Sends the lines in chunks and reads one reply per line; returns how many replies came. */
  private static int sendAndCount(TestDaemon daemon, List<byte[]> lines, Map<String, AtomicInteger> codes,
      AtomicInteger okPings) throws Exception {
    int replies = 0;
    try (LineClient client = daemon.connect()) {
      for (int from = 0; from < lines.size(); from += CHUNK) {
        List<byte[]> chunk = lines.subList(from, Math.min(lines.size(), from + CHUNK));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] line : chunk) {
          out.writeBytes(line);
          out.write('\n');
        }
        client.sendRaw(out.toByteArray());
        int got = 0;
        while (got < chunk.size()) {
          JsonNode reply = client.read(Duration.ofSeconds(60));
          if (reply.has("event")) {
            continue;
          }
          got++;
          assertTrue(reply.path("ok").isBoolean(), "reply without ok: " + reply);
          if (reply.path("ok").asBoolean()) {
            codes.computeIfAbsent("ok", k -> new AtomicInteger()).incrementAndGet();
            if (reply.path("id").asText().startsWith("ping-")) {
              okPings.incrementAndGet();
            }
          } else {
            String code = reply.path("error").path("code").asText();
            assertTrue(CODES.contains(code), "unknown error code: " + reply);
            assertFalse(reply.path("error").path("message").asText().isBlank(), "no message: " + reply);
            codes.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
          }
        }
        replies += got;
      }
      // The connection is still usable after all of it.
      JsonNode ping = client.request("{\"id\":\"after\",\"op\":\"ping\"}");
      assertTrue(ping.path("ok").asBoolean(), ping.toString());
    }
    return replies;
  }

  /** Every file and folder under the test's folder except the pool itself and the socket. */
  private List<String> outsidePool(Path pool) throws Exception {
    List<String> all = new ArrayList<>();
    String poolRel = dir.relativize(pool).toString();
    for (String entry : Host.tree(dir)) {
      if (!entry.startsWith(poolRel + "/") && !entry.startsWith(poolRel + " ") && !entry.contains("volumed.sock")) {
        all.add(entry);
      }
    }
    return all;
  }

  // ---- generators ---------------------------------------------------------------------------

  private static byte[] badLine(Random r) {
    return switch (r.nextInt(9)) {
      case 0 -> randomBytes(r, r.nextInt(200));
      case 1 -> truncated(r);
      case 2 -> utf8(anyJson(r, 3).toString()); // JSON of every type, objects included
      case 3 -> utf8(JSON.createObjectNode().put("id", r.nextInt()).put("op", pick(r, OPS)).toString());
      case 4, 5 -> utf8(realOp(r).toString());
      case 6 -> hugeNumber(r);
      case 7 -> deep(r);
      default -> utf8(pick(r, List.of("", " ", "\r", "\t", "{}", "[]", "null", "{\"op\":null}", "{\"op\":\"ping\"",
          "{\"op\":\"ping\"}}", "{\"op\":\"ping\",}", "{'op':'ping'}", "{\"op\":\"ping\"} {\"op\":\"ping\"}",
          "{\"op\":\"ping\",\"op\":\"list\"}", "{\"id\":{\"a\":[1]},\"op\":\"ping\"}", "\uFEFF{\"op\":\"ping\"}",
          "{\"op\":\"ping\"}\r", "{\"op\":\"\\u0000\"}", "{\"op\":\"ping\"/*c*/}", "NaN", "-Infinity")));
    };
  }

  private static byte[] randomBytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    for (int i = 0; i < n; i++) {
      if (b[i] == '\n') {
        b[i] = (byte) 0xC3; // a lone UTF-8 lead byte instead
      }
    }
    return b;
  }

  private static byte[] truncated(Random r) {
    byte[] whole = utf8(realOp(r).toString());
    return java.util.Arrays.copyOf(whole, Math.max(1, r.nextInt(whole.length)));
  }

  private static byte[] hugeNumber(Random r) {
    StringBuilder digits = new StringBuilder(r.nextBoolean() ? "-" : "");
    digits.append(1 + r.nextInt(9));
    int n = r.nextInt(3000);
    for (int i = 0; i < n; i++) {
      digits.append(r.nextInt(10));
    }
    String number = digits + (r.nextBoolean() ? "" : "e" + (r.nextBoolean() ? "-" : "") + r.nextInt(100000));
    return utf8(switch (r.nextInt(3)) {
      case 0 -> number;
      case 1 -> "{\"id\":" + number + ",\"op\":\"ping\"}";
      default -> "{\"id\":1,\"op\":\"create\",\"name\":\"fz/n.img\",\"size\":" + number + ",\"fs\":\"none\"}";
    });
  }

  /** Arrays or objects nested up to 10,000 deep, closed or not. */
  private static byte[] deep(Random r) {
    int depth = r.nextBoolean() ? 10_000 : 1 + r.nextInt(3000);
    boolean objects = r.nextBoolean();
    StringBuilder sb = new StringBuilder(objects ? "{\"op\":\"ping\",\"x\":" : "");
    for (int i = 0; i < depth; i++) {
      sb.append(objects ? "{\"a\":" : "[");
    }
    sb.append("1");
    if (r.nextInt(4) > 0) {
      for (int i = 0; i < depth; i++) {
        sb.append(objects ? "}" : "]");
      }
      sb.append(objects ? "}" : "");
    }
    return utf8(sb.toString());
  }

  private static ObjectNode realOp(Random r) {
    ObjectNode o = F.objectNode();
    if (r.nextInt(4) > 0) {
      o.set("id", anyJson(r, 1));
    }
    String op = pick(r, List.of("create", "create", "create", "batch", "get", "delete", "list", "pools", "ping"));
    o.put("op", op);
    if (op.equals("batch")) {
      maybe(r, o, "pool", pool(r));
      ArrayNode volumes = F.arrayNode();
      int n = r.nextInt(6);
      for (int i = 0; i < n; i++) {
        volumes.add(r.nextInt(8) == 0 ? anyJson(r, 1) : createArgs(r, F.objectNode()));
      }
      o.set("volumes", r.nextInt(10) == 0 ? anyJson(r, 1) : volumes);
      maybe(r, o, "atomic", r.nextInt(3) == 0 ? anyJson(r, 0) : F.booleanNode(r.nextBoolean()));
      maybe(r, o, "progress", r.nextInt(3) == 0 ? anyJson(r, 0) : F.booleanNode(r.nextBoolean()));
    } else if (op.equals("create")) {
      maybe(r, o, "pool", pool(r));
      createArgs(r, o);
    } else {
      maybe(r, o, "pool", pool(r));
      maybe(r, o, "name", name(r));
    }
    if (r.nextInt(5) == 0) {
      o.set(pick(r, List.of("extra", "", "op ", "\u0000", "size")), anyJson(r, 1));
    }
    return o;
  }

  private static ObjectNode createArgs(Random r, ObjectNode o) {
    maybe(r, o, "name", name(r));
    maybe(r, o, "size", size(r));
    maybe(r, o, "fs", r.nextInt(6) == 0 ? anyJson(r, 0) : F.textNode(pick(r, List.of("ext4", "ext2", "xfs", "btrfs",
        "vfat", "swap", "none", "none", "EXT4", "ntfs", "", "../../bin/sh", "ext4\u0000", "zfs"))));
    maybe(r, o, "allocation", r.nextInt(6) == 0 ? anyJson(r, 0) : F.textNode(pick(r, List.of("sparse", "sparse",
        "fallocate", "full", "SPARSE", "thin", "", "sparse "))));
    maybe(r, o, "label", r.nextInt(3) == 0 ? anyJson(r, 0)
        : F.textNode(pick(r, List.of("x", "EFI", "\u00fcnic\u00f6de", "a".repeat(300), "", "-L", "a b", "$(id)"))));
    if (r.nextInt(3) == 0) {
      ArrayNode args = F.arrayNode();
      int n = r.nextInt(4);
      for (int i = 0; i < n; i++) {
        args.add(r.nextInt(4) == 0 ? anyJson(r, 0) : F.textNode(pick(r, List.of("-d", "/etc", "-O", "^has_journal",
            "-E", "root_owner=0:0", "--rootdir=/", "-q;ls", "-b", "4096", "-J", "device=/dev/sda", "-m", "0",
            "-N", "99999999999", "-C", "-1", "--", "-F"))));
      }
      o.set("mkfsArgs", r.nextInt(5) == 0 ? anyJson(r, 1) : args);
    }
    return o;
  }

  private static JsonNode pool(Random r) {
    return r.nextInt(4) > 0 ? F.textNode("default")
        : r.nextBoolean() ? anyJson(r, 0) : F.textNode(pick(r, List.of("nope", "../default", "", "default ")));
  }

  private static JsonNode name(Random r) {
    if (r.nextInt(8) == 0) {
      return anyJson(r, 1);
    }
    return F.textNode(pick(r, List.of("fz/a.img", "fz/b.img", "c.img", "fz/d/e/f.img", "../x.img", "../../keep.txt",
        "../outside/keep.txt", "/etc/passwd", "a/../b.img", "a/./b.img", ".hidden.img", "fz/.h/x.img", "a//b.img",
        "a/b/c/d/e.img", "x".repeat(256), "x".repeat(128), "\u00fcn\u00efc\u00f6d\u00e9.img", "a\u0000b.img", "", " ",
        "fz/", "fz", ".volumed/meta/x.json", ".volumed", "fz/a.img.volumed-tmp-0", "-rf", "$(touch x)", "a;b.img",
        "\u202e.img", "fz\\..\\x.img", "%2e%2e/x.img", "fz/a.img/", "..", ".")));
  }

  private static JsonNode size(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> anyJson(r, 0);
      case 1 -> F.numberNode(pick(r, List.of(-1L, 0L, 1L, 4095L, 4096L, 4097L, 1L << 20, Long.MAX_VALUE,
          Long.MIN_VALUE, 9223372036854771712L, 1L << 40)));
      case 2 -> F.numberNode(pick(r, List.of(new BigInteger("18446744073709551616"),
          new BigInteger("-99999999999999999999999999"), BigInteger.TWO.pow(200))));
      default -> F.textNode(pick(r, List.of("1M", "4K", "1.5M", "16MiB", "1m", "-4K", "0x1000", "1 M", "1e6",
          "99999999999999999999T", "8E", "1T", "", "M", "4KiB", "4096", " 4096", "12345", "256M", "257M")));
    };
  }

  /** Any JSON value, nested up to the given depth. */
  private static JsonNode anyJson(Random r, int depth) {
    int kind = r.nextInt(depth > 0 ? 9 : 7);
    return switch (kind) {
      case 0 -> F.nullNode();
      case 1 -> F.booleanNode(r.nextBoolean());
      case 2 -> F.numberNode(r.nextLong());
      case 3 -> F.numberNode(r.nextDouble() * Math.pow(10, r.nextInt(600) - 300));
      case 4 -> F.textNode(randomString(r));
      case 5 -> F.numberNode(-r.nextInt(100));
      case 6 -> F.textNode("");
      case 7 -> {
        ArrayNode a = F.arrayNode();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          a.add(anyJson(r, depth - 1));
        }
        yield a;
      }
      default -> {
        ObjectNode o = F.objectNode();
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          o.set(r.nextBoolean() ? pick(r, List.of("op", "id", "name", "size")) : randomString(r), anyJson(r, depth - 1));
        }
        yield o;
      }
    };
  }

  private static String randomString(Random r) {
    int n = r.nextInt(20);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.appendCodePoint(switch (r.nextInt(4)) {
        case 0 -> r.nextInt(32); // control characters, NUL included (escaped by Jackson)
        case 1 -> 32 + r.nextInt(95);
        case 2 -> 0xA0 + r.nextInt(0xD7FF - 0xA0);
        default -> 0x10000 + r.nextInt(0x10FFFF - 0x10000);
      });
    }
    return sb.toString();
  }

  private static <T> T pick(Random r, List<T> options) {
    return options.get(r.nextInt(options.size()));
  }

  private static void maybe(Random r, ObjectNode o, String field, JsonNode value) {
    if (r.nextInt(6) > 0) {
      o.set(field, value);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

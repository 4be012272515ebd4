package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.VolumedProcess;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that pipeline requests whose replies are big, or whose ids are, and never read, against
 * a real volumed with a 256 MiB heap: it stays up, its memory and its log stay bounded, and a
 * ping on another connection answers within a second throughout.
 */
class HostileClientsTest {
  private static final int VOLUMES = 3000;
  private static final Duration ATTACK = Duration.ofSeconds(20);
  private static final Duration PING_LIMIT = Duration.ofSeconds(1);
  private static final long MAX_RSS_KIB = 640L << 10;
  private static final long MAX_LOG_GROWTH = 16L << 20;
  private static final int MAX_LOG_LINE = 2048;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;
  private VolumedProcess daemon;
  private final List<SocketChannel> attackers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (SocketChannel channel : attackers) {
      channel.close();
    }
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void pipelinedHugeIdsAndBigListsThatAreNeverReadLeaveVolumedUpBoundedAndAnswering() throws Exception {
    Path socket = dir.resolve("run/volumed.sock");
    Path pool = dir.resolve("pool");
    Path log = dir.resolve("volumed.log");
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, String.join("\n",
        "volumed.socket.path = \"" + socket + "\"",
        "volumed.pools.default.path = \"" + pool + "\"",
        "volumed.pools.default.reserved-percent = 0",
        ""), StandardCharsets.UTF_8);
    // The packaged log configuration, which logs every request (the tests' own leaves them out).
    daemon = VolumedProcess.start(config, socket, log,
        List.of("-Dlogback.configurationFile=" + Path.of("conf/logback.xml").toAbsolutePath()));
    fillPool();
    long logBefore = Files.size(log);

    ExecutorService threads = Executors.newCachedThreadPool();
    List<Future<Long>> sent = new ArrayList<>();
    long deadline = System.nanoTime() + ATTACK.toNanos();
    // Ids of a whole MiB (now BAD_REQUEST), on four connections, as fast as volumed takes them.
    String hugeId = "x".repeat((1 << 20) - 64);
    for (int i = 0; i < 4; i++) {
      sent.add(threads.submit(() -> pipeline("{\"op\":\"ping\",\"id\":\"" + hugeId + "\"}\n", Long.MAX_VALUE, deadline)));
    }
    // Ids of exactly the longest accepted length, by the thousand.
    String longestId = "y".repeat(128);
    sent.add(threads.submit(() -> pipeline("{\"op\":\"ping\",\"id\":\"" + longestId + "\"}\n", 20_000, deadline)));
    // Lists of the whole pool, 300 per connection on eight connections.
    for (int i = 0; i < 8; i++) {
      sent.add(threads.submit(() -> pipeline("{\"op\":\"list\",\"id\":1}\n", 300, deadline)));
    }

    long worstPingNanos = 0;
    long worstRssKib = 0;
    int pings = 0;
    try (LineClient pinger = daemon.connect()) {
      while (System.nanoTime() < deadline) {
        long started = System.nanoTime();
        pinger.send("{\"id\":" + pings + ",\"op\":\"ping\"}");
        JsonNode reply = pinger.read(PING_LIMIT); // fails the test when no answer comes within the limit
        long took = System.nanoTime() - started;
        assertTrue(reply.path("ok").asBoolean(), reply.toString());
        assertEquals(pings, reply.path("id").asInt(), reply.toString());
        worstPingNanos = Math.max(worstPingNanos, took);
        worstRssKib = Math.max(worstRssKib, rssKib(daemon.pid()));
        pings++;
        Thread.sleep(100); // the pace of the pings, not an ordering wait
      }
    }
    long bytesSent = 0;
    for (Future<Long> f : sent) {
      bytesSent += f.get(60, TimeUnit.SECONDS);
    }
    threads.shutdown();

    assertTrue(daemon.request("{\"op\":\"ping\"}").path("ok").asBoolean(), daemon.describeLog());
    long logGrowth = Files.size(log) - logBefore;
    int longestLine = longestLine(log, logBefore);
    System.out.printf("HostileClientsTest: %d MiB pipelined unread on 13 connections; %d pings, worst %d ms;"
        + " worst RSS %d MiB; log grew %d KiB, longest new line %d bytes%n", bytesSent >> 20, pings,
        worstPingNanos / 1_000_000, worstRssKib >> 10, logGrowth >> 10, longestLine);
    assertTrue(worstPingNanos < PING_LIMIT.toNanos(), "a ping took " + worstPingNanos / 1_000_000 + " ms");
    assertTrue(worstRssKib < MAX_RSS_KIB, "volumed's RSS reached " + (worstRssKib >> 10) + " MiB");
    assertTrue(logGrowth < MAX_LOG_GROWTH, "the log grew by " + logGrowth + " bytes");
    assertTrue(longestLine < MAX_LOG_LINE, "a log line of " + longestLine + " bytes");
    for (SocketChannel channel : attackers) {
      channel.close();
    }
    assertEquals(0, daemon.terminate(), daemon.describeLog());
  }

  /** A pool of {@value #VOLUMES} tiny raw volumes, made with one batch. */
  private void fillPool() throws Exception {
    StringBuilder batch = new StringBuilder("{\"op\":\"batch\",\"atomic\":false,\"volumes\":[");
    for (int i = 0; i < VOLUMES; i++) {
      batch.append(i == 0 ? "" : ",").append("{\"name\":\"vm").append(i / 100).append("/disk").append(i)
          .append(".img\",\"size\":4096,\"fs\":\"none\",\"allocation\":\"sparse\"}");
    }
    JsonNode reply = daemon.result(batch.append("]}").toString());
    assertEquals(VOLUMES, reply.path("created").size(), "the batch made every volume");
  }

  /**
   * Writes the line over and over ({@code times} at most) on a new connection without ever
   * reading, until volumed takes nothing more for two seconds or the deadline; the bytes written.
   */
  private long pipeline(String line, long times, long deadline) throws Exception {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    synchronized (attackers) {
      attackers.add(channel);
    }
    channel.connect(UnixDomainSocketAddress.of(daemon.socket()));
    channel.configureBlocking(false);
    ByteBuffer one = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
    long written = 0;
    long lastProgress = System.nanoTime();
    long sentLines = 0;
    try {
      while (sentLines < times && System.nanoTime() < deadline
          && System.nanoTime() - lastProgress < Duration.ofSeconds(2).toNanos()) {
        if (!one.hasRemaining()) {
          one.rewind();
        }
        int n = channel.write(one);
        written += n;
        if (n > 0) {
          lastProgress = System.nanoTime();
          if (!one.hasRemaining()) {
            sentLines++;
          }
        } else {
          Thread.sleep(5); // the socket takes nothing now: volumed pushes back
        }
      }
    } catch (IOException closedByVolumed) {
      // counted as pushed back
    }
    return written;
  }

  private static long rssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no VmRSS for pid " + pid);
  }

  /** The longest line the log has gained after its first {@code from} bytes. */
  private static int longestLine(Path log, long from) throws IOException {
    byte[] all = Files.readAllBytes(log);
    int longest = 0;
    int current = 0;
    for (long i = from; i < all.length; i++) {
      if (all[(int) i] == '\n') {
        longest = Math.max(longest, current);
        current = 0;
      } else {
        current++;
      }
    }
    return Math.max(longest, current);
  }
}

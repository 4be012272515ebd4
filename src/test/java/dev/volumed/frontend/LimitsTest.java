package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.MkfsCatcher;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The front end's limits: connections, requests in flight per connection, idle connections. */
class LimitsTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4");
  }

  @TempDir
  Path dir;

  @Test
  void connectionsBeyondTheMaximumAreAnsweredOverloaded() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.socket.max-connections = 2");
         LineClient first = served(daemon);
         LineClient second = served(daemon)) {
      try (LineClient third = daemon.connect()) {
        assertEquals("OVERLOADED", third.read().at("/error/code").asText());
        assertTrue(third.closedByPeer(Duration.ofSeconds(5)));
      }
      first.close();
      served(daemon).close();
    }
  }

  /**
   * A connection that answered a ping. A slot is freed when the daemon sees a client's close
   * (the start-up probe's, a closed test client's), so a new client retries until then.
   */
  static LineClient served(TestDaemon daemon) throws Exception {
    for (int attempt = 0; attempt < 100; attempt++) {
      LineClient client = daemon.connect();
      try {
        if (client.request("{\"op\":\"ping\"}").get("ok").asBoolean()) {
          return client;
        }
      } catch (java.io.IOException | AssertionError refusedYet) {
        // not yet
      }
      client.close();
      Thread.sleep(20);
    }
    throw new AssertionError("no connection slot was freed");
  }

  @Test
  void requestsBeyondTheInFlightBoundAreAnsweredOverloadedById() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir,
        "volumed.socket.max-in-flight-per-connection = 1, volumed.pools.default.max-overcommit-ratio = 1000");
         MkfsCatcher catcher = MkfsCatcher.watch(daemon.pool());
         LineClient client = daemon.connect()) {
      client.send("{\"id\":\"slow\",\"op\":\"create\",\"name\":\"slow.img\",\"size\":\"1T\"}");
      catcher.awaitStopped(Duration.ofSeconds(30));
      JsonNode refused = client.request("{\"id\":\"second\",\"op\":\"ping\"}");
      assertEquals("second", refused.get("id").asText());
      assertEquals("OVERLOADED", refused.at("/error/code").asText());
      catcher.resume();
      JsonNode created = client.read();
      assertEquals("slow", created.get("id").asText());
      assertTrue(created.get("ok").asBoolean(), created.toString());
      assertTrue(client.request("{\"id\":\"third\",\"op\":\"ping\"}").get("ok").asBoolean());
    }
  }

  @Test
  void idleConnectionsAreClosedButBusyOnesAreNot() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir,
        "volumed.socket.idle-timeout = 1s, volumed.pools.default.max-overcommit-ratio = 1000");
         MkfsCatcher catcher = MkfsCatcher.watch(daemon.pool());
         LineClient idle = daemon.connect();
         LineClient busy = daemon.connect()) {
      busy.send("{\"id\":\"slow\",\"op\":\"create\",\"name\":\"busy.img\",\"size\":\"1T\"}");
      catcher.awaitStopped(Duration.ofSeconds(30));
      assertTrue(idle.closedByPeer(Duration.ofSeconds(10)), "an idle connection is closed");
      catcher.resume();
      JsonNode created = busy.read();
      assertTrue(created.get("ok").asBoolean(), "a connection waiting for its reply was kept: " + created);
    }
  }

  @Test
  void aClientThatSendsAndNeverReadsIsStoppedByBackpressureNotBuffered() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir);
         java.nio.channels.SocketChannel greedy = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      greedy.connect(java.net.UnixDomainSocketAddress.of(daemon.socket()));
      greedy.configureBlocking(false);
      byte[] line = "{\"op\":\"pools\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      java.nio.ByteBuffer burst = java.nio.ByteBuffer.allocate(line.length * 4096);
      while (burst.remaining() >= line.length) {
        burst.put(line);
      }
      long written = 0;
      int stalls = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      // Write as fast as the socket takes it, never reading a reply, until it takes nothing for a while.
      while (stalls < 200 && System.nanoTime() < deadline) {
        burst.rewind();
        int n = greedy.write(burst);
        written += n;
        if (n == 0) {
          stalls++;
          Thread.sleep(5);
        } else {
          stalls = 0;
        }
      }
      System.out.printf("LimitsTest: a client that never reads was pushed back after %d bytes (%d requests)%n", written, written / line.length);
      assertTrue(stalls >= 200, "volumed kept reading a client that never reads its replies: " + written + " bytes");
      assertTrue(written < 64L << 20, "volumed took " + written + " bytes before pushing back");
      assertTrue(daemon.request("{\"op\":\"ping\"}").get("ok").asBoolean(), "other clients are still served");
    }
  }

  @Test
  void aReplyLongerThanTheByteBoundStillGoesOutAloneAndPipelinedRequestsAreAllAnswered() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.socket.max-buffered-reply-bytes = 1K");
         LineClient client = daemon.connect()) {
      StringBuilder batch = new StringBuilder("{\"op\":\"batch\",\"volumes\":[");
      for (int i = 0; i < 40; i++) {
        batch.append(i == 0 ? "" : ",").append("{\"name\":\"v").append(i).append(".img\",\"size\":4096,\"fs\":\"none\"}");
      }
      JsonNode made = client.request(batch.append("]}").toString());
      assertTrue(made.get("ok").asBoolean(), "a batch reply of 40 volumes, longer than the bound: " + made);
      StringBuilder burst = new StringBuilder();
      for (int i = 0; i < 50; i++) {
        burst.append("{\"id\":").append(i).append(",\"op\":\"").append(i % 2 == 0 ? "list" : "ping").append("\"}\n");
      }
      client.sendRaw(burst.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      java.util.Set<Integer> answered = new java.util.TreeSet<>();
      for (int i = 0; i < 50; i++) {
        JsonNode reply = client.read(Duration.ofSeconds(30));
        assertTrue(reply.get("ok").asBoolean(), reply.toString());
        if (reply.get("id").asInt() % 2 == 0) {
          assertEquals(40, reply.at("/result/volumes").size(), "a list of " + reply.toString().length() + " bytes");
        }
        answered.add(reply.get("id").asInt());
      }
      assertEquals(50, answered.size(), "every pipelined request answered once: " + answered);
    }
  }

  @Test
  void aClientThatStopsReadingIsClosedAtTheIdleTimeoutThoughItsRequestsWaitForRoom() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir,
        "volumed.socket.idle-timeout = 1s, volumed.socket.max-buffered-reply-bytes = 1K");
         java.nio.channels.SocketChannel stuck = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      StringBuilder batch = new StringBuilder("{\"op\":\"batch\",\"volumes\":[");
      for (int i = 0; i < 400; i++) {
        batch.append(i == 0 ? "" : ",").append("{\"name\":\"v").append(i).append(".img\",\"size\":4096,\"fs\":\"none\"}");
      }
      assertTrue(daemon.request(batch.append("]}").toString()).get("ok").asBoolean());
      stuck.connect(java.net.UnixDomainSocketAddress.of(daemon.socket()));
      // Lists of about 100 KiB each, more than the socket buffers take: the rest wait, in flight.
      stuck.write(java.nio.ByteBuffer.wrap("{\"op\":\"list\"}\n".repeat(40).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      java.nio.ByteBuffer sink = java.nio.ByteBuffer.allocate(1 << 20);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      boolean closed = false;
      // Reads nothing until the idle timeout has passed, then drains to the end of the stream.
      Thread.sleep(3000); // the client's silence is the behaviour under test, not an ordering wait
      long got = 0;
      while (!closed && System.nanoTime() < deadline) {
        sink.clear();
        int n = stuck.read(sink);
        closed = n < 0;
        got += Math.max(0, n);
      }
      assertTrue(closed, "a connection whose client read nothing for the idle timeout is closed");
      assertTrue(got < 1 << 20, "closed with most of its 40 lists (3.6 MB) still waiting, not after: " + got + " bytes");
    }
  }

  @Test
  void aWorldWritableSocketModeIsRefusedAtStartUp() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> dev.volumed.settings.Settings.from(TestDaemon.config(dir, "volumed.socket.mode = \"0666\"")));
    assertFalse(e.getMessage().isBlank());
  }
}

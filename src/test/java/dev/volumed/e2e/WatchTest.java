package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.MkfsCatcher;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watch op over a real socket: the pools' state first, then every change; a watcher is never waited for. */
class WatchTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @Test
  void aWatcherSeesEachPoolThenCreatedAndDeletedVolumes() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.pools.other.path = \"" + dir.resolve("other") + "\"");
         LineClient watcher = daemon.connect();
         LineClient client = daemon.connect()) {
      watcher.send("{\"id\":\"w\",\"op\":\"watch\"}");
      List<String> pools = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        JsonNode first = watcher.read();
        assertEquals("pool", first.get("event").asText(), first.toString());
        assertEquals("w", first.get("id").asText());
        assertTrue(first.get("previous").isNull(), first.toString());
        assertEquals("ok", first.get("level").asText());
        assertTrue(first.has("allocatedPercent") && first.has("filesystemUsedPercent") && first.has("message"));
        pools.add(first.get("pool").asText());
      }
      assertEquals(List.of("default", "other"), pools);
      // The watch is one request in flight: others on the same connection are still answered.
      assertTrue(watcher.request("{\"id\":\"p\",\"op\":\"ping\"}").path("ok").asBoolean());

      assertTrue(client.request(create("default", "vm1/disk.img")).path("ok").asBoolean());
      JsonNode created = watcher.read();
      assertEquals("volume", created.get("event").asText(), created.toString());
      assertEquals("created", created.get("action").asText());
      assertEquals("default", created.get("pool").asText());
      assertEquals("vm1/disk.img", created.at("/volume/name").asText());
      assertEquals(dir.resolve("pool/vm1/disk.img").toString(), created.at("/volume/path").asText());
      assertEquals(1 << 20, created.at("/volume/size").asLong());

      // An op that changes nothing sends nothing: the same create again is "existed".
      assertTrue(client.request(create("default", "vm1/disk.img")).at("/result/existed").asBoolean());
      assertTrue(client.request("{\"op\":\"delete\",\"pool\":\"other\",\"name\":\"nothing\"}").has("error"));
      assertTrue(client.request("{\"op\":\"delete\",\"name\":\"vm1/disk.img\"}").path("ok").asBoolean());
      JsonNode deleted = watcher.read();
      assertEquals("deleted", deleted.get("action").asText(), deleted.toString());
      assertEquals("vm1/disk.img", deleted.at("/volume/name").asText());
    }
  }

  @Test
  void aWatchOfOnePoolSeesOnlyThatPool() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.pools.other.path = \"" + dir.resolve("other") + "\"");
         LineClient watcher = daemon.connect();
         LineClient client = daemon.connect()) {
      watcher.send("{\"id\":7,\"op\":\"watch\",\"pool\":\"other\"}");
      JsonNode first = watcher.read();
      assertEquals("other", first.get("pool").asText(), first.toString());
      assertEquals(7, first.get("id").asInt());
      assertTrue(client.request(create("default", "a.img")).path("ok").asBoolean());
      assertTrue(client.request(create("other", "b.img")).path("ok").asBoolean());
      JsonNode created = watcher.read();
      assertEquals("b.img", created.at("/volume/name").asText(), created.toString());
      assertEquals(7, created.get("id").asInt());
      JsonNode unknown = client.request("{\"id\":1,\"op\":\"watch\",\"pool\":\"nope\"}");
      assertEquals("UNKNOWN_POOL", unknown.at("/error/code").asText(), unknown.toString());
    }
  }

  /** A watcher that goes away frees its connection: more watches come and go than connections are allowed. */
  @Test
  void watchersThatCloseTheirConnectionAreForgotten() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.socket.max-connections = 8")) {
      for (int i = 0; i < 40; i++) {
        try (LineClient watcher = daemon.connect()) {
          watcher.send("{\"id\":" + i + ",\"op\":\"watch\"}");
          JsonNode first = watcher.read();
          assertEquals("pool", first.path("event").asText(), "watch " + i + ": " + first);
        }
      }
      assertTrue(daemon.request("{\"op\":\"ping\"}").path("ok").asBoolean());
    }
  }

  /**
   * A watcher that never reads loses what does not fit and is told how many when it reads again;
   * meanwhile 200 creates on other connections all complete (a generous bound, not a timing).
   */
  @Test
  void aWatcherThatNeverReadsGetsOverflowAndOtherClientsAreServed() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.pools.default.max-overcommit-ratio = 1000");
         SocketChannel stalled = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      stalled.connect(UnixDomainSocketAddress.of(daemon.socket()));
      stalled.write(ByteBuffer.wrap("{\"id\":\"s\",\"op\":\"watch\"}\n".getBytes(StandardCharsets.UTF_8)));
      // More events than its queue, the stream's buffers and the socket's buffer hold.
      try (LineClient client = daemon.connect()) {
        JsonNode batch = client.request(batchOf(3000));
        assertEquals(3000, batch.at("/result/created").size(), batch.toString());
      }
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<JsonNode>> creates = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          String name = "single/v" + i;
          creates.add(pool.submit(() -> daemon.request(create("default", name))));
        }
        for (Future<JsonNode> create : creates) {
          assertTrue(create.get(120, TimeUnit.SECONDS).path("ok").asBoolean());
        }
      } finally {
        pool.shutdownNow();
      }
      // Now it reads: its first pool event, the events that waited for it, one overflow, and later events.
      StalledReader reader = new StalledReader(stalled);
      JsonNode first = reader.next();
      assertEquals("pool", first.get("event").asText(), first.toString());
      long volumes = 0;
      JsonNode line;
      while (!(line = reader.next()).get("event").asText().equals("overflow")) {
        assertEquals("volume", line.get("event").asText(), line.toString());
        volumes++;
      }
      long dropped = line.get("dropped").asLong();
      assertEquals("s", line.get("id").asText());
      assertTrue(dropped > 0 && volumes > 0, volumes + " then " + line);
      try (LineClient client = daemon.connect()) {
        assertTrue(client.request(create("default", "after.img")).path("ok").asBoolean());
      }
      JsonNode after;
      long more = 0;
      while (!(after = reader.next()).at("/volume/name").asText().equals("after.img")) {
        assertEquals("volume", after.get("event").asText(), after.toString());
        more++;
      }
      assertEquals(3200, volumes + dropped + more, volumes + " read, " + dropped + " dropped, " + more + " after");
    }
  }

  @Test
  void shutdownEndsAWatchAtOnceNotAfterTheGrace() throws Exception {
    Tools.assumeInstalled("mkfs.ext4");
    TestDaemon daemon = TestDaemon.start(dir, "volumed.shutdown.grace = 60s,"
        + " volumed.pools.default.max-overcommit-ratio = 1000");
    try (daemon;
         MkfsCatcher catcher = MkfsCatcher.watch(daemon.pool());
         LineClient working = daemon.connect();
         LineClient watcher = daemon.connect()) {
      watcher.send("{\"id\":\"w\",\"op\":\"watch\"}");
      assertEquals("pool", watcher.read().get("event").asText());
      // A create held in mkfs keeps the grace running while the daemon shuts down.
      working.send("{\"id\":\"slow\",\"op\":\"create\",\"name\":\"slow.img\",\"size\":\"1T\"}");
      catcher.awaitStopped(Duration.ofSeconds(30));
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> {
        try {
          daemon.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      JsonNode ended = watcher.read(Duration.ofSeconds(20));
      assertEquals("w", ended.get("id").asText(), ended.toString());
      assertTrue(ended.path("ok").asBoolean(), ended.toString());
      assertEquals("shutdown", ended.at("/result/ended").asText(), ended.toString());
      assertTrue(!stopping.isDone(), "the watch ended while the create was still held");
      catcher.resume();
      assertTrue(working.read().has("ok"));
      stopping.get(60, TimeUnit.SECONDS);
    }
  }

  static String create(String pool, String name) {
    return "{\"op\":\"create\",\"pool\":\"" + pool + "\",\"name\":\"" + name + "\",\"size\":\"1M\",\"fs\":\"none\"}";
  }

  private static String batchOf(int n) {
    StringBuilder volumes = new StringBuilder();
    for (int i = 0; i < n; i++) {
      volumes.append(i == 0 ? "" : ",").append("{\"name\":\"many/v").append(i).append("\",\"size\":4096,\"fs\":\"none\"}");
    }
    return "{\"id\":\"b\",\"op\":\"batch\",\"atomic\":false,\"volumes\":[" + volumes + "]}";
  }

  /** Reads lines from a channel that did not read until now. */
  private static final class StalledReader {
    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    private final StringBuilder pending = new StringBuilder();

    StalledReader(SocketChannel channel) {
      this.channel = channel;
      buffer.flip();
    }

    JsonNode next() throws Exception {
      while (true) {
        int newline = pending.indexOf("\n");
        if (newline >= 0) {
          String line = pending.substring(0, newline);
          pending.delete(0, newline + 1);
          return JSON.readTree(line);
        }
        buffer.clear();
        if (channel.read(buffer) < 0) {
          throw new AssertionError("volumed closed the watch");
        }
        buffer.flip();
        pending.append(StandardCharsets.UTF_8.decode(buffer));
      }
    }
  }
}

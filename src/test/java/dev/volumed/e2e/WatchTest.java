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
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

  /**
   * One volume made through the socket and changed in place: the watcher sees created, reclaimed,
   * preallocated, resized and deleted, in that order, each volume as it is after its change. The ops
   * that change nothing in between (a resize to the same size, a preallocate to the mode it has, a
   * reclaim of a preallocated volume, which is refused) send nothing: the next event is always the
   * next change, and a last create is the sentinel that nothing came after the delete. Reclaim
   * comes before preallocate because it is for sparse volumes only.
   */
  @Test
  void aWatcherSeesEachChangeInPlaceOfOneVolumeInOrderAndNothingForOpsThatChangeNothing() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir);
         LineClient watcher = daemon.connect();
         LineClient client = daemon.connect()) {
      watcher.send("{\"id\":\"w\",\"op\":\"watch\"}");
      assertEquals("pool", watcher.read().get("event").asText());
      long mib = 1 << 20;
      JsonNode made = client.request("{\"op\":\"create\",\"name\":\"vm/life.img\",\"size\":\"16M\","
          + "\"fs\":\"none\",\"allocation\":\"sparse\"}");
      assertTrue(made.path("ok").asBoolean(), made.toString());
      JsonNode created = nextVolumeEvent(watcher, "created");
      assertEquals(16 * mib, created.at("/volume/size").asLong(), created.toString());
      assertEquals("sparse", created.at("/volume/allocation").asText(), created.toString());

      // Written zeros are blocks that reclaim gives back.
      Path image = Path.of(made.at("/result/path").asText());
      try (FileChannel channel = FileChannel.open(image, StandardOpenOption.WRITE)) {
        channel.write(ByteBuffer.wrap(new byte[(int) (4 * mib)]), 2 * mib);
        channel.force(true);
      }
      assertTrue(client.request(resize("vm/life.img", 16 * mib)).path("ok").asBoolean(), "same size: unchanged");
      JsonNode reclaim = client.request("{\"op\":\"reclaim\",\"name\":\"vm/life.img\"}");
      assertTrue(reclaim.at("/result/reclaimedBytes").asLong() >= 4 * mib, reclaim.toString());
      JsonNode reclaimed = nextVolumeEvent(watcher, "reclaimed");
      assertEquals(reclaim.at("/result/volume/allocatedBytes"), reclaimed.at("/volume/allocatedBytes"), reclaimed.toString());
      assertTrue(reclaimed.at("/volume/allocatedBytes").asLong() < 4 * mib, reclaimed.toString());
      JsonNode again = client.request("{\"op\":\"reclaim\",\"name\":\"vm/life.img\"}");
      assertEquals(0, again.at("/result/reclaimedBytes").asLong(), "nothing left to give back: " + again);

      JsonNode preallocate = client.request(preallocate("vm/life.img"));
      assertTrue(preallocate.path("ok").asBoolean(), preallocate.toString());
      assertEquals("fallocate", client.request(preallocate("vm/life.img")).at("/result/allocation").asText(),
          "already fallocate: unchanged");
      JsonNode refused = client.request("{\"op\":\"reclaim\",\"name\":\"vm/life.img\"}");
      assertEquals("BAD_REQUEST", refused.at("/error/code").asText(), refused.toString());
      JsonNode preallocated = nextVolumeEvent(watcher, "preallocated");
      assertEquals("fallocate", preallocated.at("/volume/allocation").asText(), preallocated.toString());
      assertTrue(preallocated.at("/volume/allocatedBytes").asLong() >= 16 * mib, preallocated.toString());

      assertTrue(client.request(resize("vm/life.img", 16 * mib)).path("ok").asBoolean(), "same size: unchanged");
      JsonNode grown = client.request(resize("vm/life.img", 24 * mib));
      assertTrue(grown.path("ok").asBoolean(), grown.toString());
      assertTrue(client.request(resize("vm/life.img", 24 * mib)).path("ok").asBoolean(), "same size: unchanged");
      JsonNode resized = nextVolumeEvent(watcher, "resized");
      assertEquals(24 * mib, resized.at("/volume/size").asLong(), resized.toString());
      assertEquals("fallocate", resized.at("/volume/allocation").asText(), resized.toString());
      assertTrue(resized.at("/volume/allocatedBytes").asLong() >= 24 * mib, resized.toString());

      assertTrue(client.request("{\"op\":\"delete\",\"name\":\"vm/life.img\"}").path("ok").asBoolean());
      JsonNode deleted = nextVolumeEvent(watcher, "deleted");
      assertEquals(24 * mib, deleted.at("/volume/size").asLong(), deleted.toString());
      assertTrue(client.request("{\"op\":\"delete\",\"name\":\"vm/life.img\"}").has("error"));
      assertTrue(client.request(create("default", "sentinel.img")).path("ok").asBoolean());
      assertEquals("sentinel.img", nextVolumeEvent(watcher, "created").at("/volume/name").asText());
    }
  }

  /**
   * The next volume event, which must be {@code action} of vm/life.img (or of the sentinel). Pool
   * events are passed over: the host's own file system may cross a watermark meanwhile.
   */
  private static JsonNode nextVolumeEvent(LineClient watcher, String action) throws Exception {
    JsonNode event = watcher.read();
    while (event.path("event").asText().equals("pool")) {
      event = watcher.read();
    }
    assertEquals("volume", event.path("event").asText(), event.toString());
    assertEquals(action, event.path("action").asText(), event.toString());
    assertEquals("w", event.path("id").asText(), event.toString());
    return event;
  }

  private static String resize(String name, long size) {
    return "{\"op\":\"resize\",\"name\":\"" + name + "\",\"size\":" + size + "}";
  }

  private static String preallocate(String name) {
    return "{\"op\":\"preallocate\",\"name\":\"" + name + "\",\"mode\":\"fallocate\"}";
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

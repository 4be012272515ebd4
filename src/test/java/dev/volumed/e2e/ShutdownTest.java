package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.MkfsCatcher;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shutdown: stop accepting, answer new requests SHUTTING_DOWN, let in-flight work finish or roll it back. */
class ShutdownTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4");
  }

  private static final String SLOW_CREATE = "{\"id\":\"slow\",\"op\":\"create\",\"name\":\"vm1/root.img\",\"size\":\"1T\"}";

  @TempDir
  Path dir;

  @Test
  void inFlightWorkFinishesWithinTheGraceWhileNewRequestsAreRefused() throws Exception {
    TestDaemon daemon = TestDaemon.start(dir, "volumed.shutdown.grace = 30s, volumed.pools.default.max-overcommit-ratio = 1000");
    try (daemon;
         MkfsCatcher catcher = MkfsCatcher.watch(daemon.pool());
         LineClient working = daemon.connect();
         LineClient idle = daemon.connect()) {
      working.send(SLOW_CREATE);
      catcher.awaitStopped(Duration.ofSeconds(30));
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> close(daemon));

      awaitGone(daemon.socket());
      JsonNode refused = idle.request("{\"id\":\"late\",\"op\":\"ping\"}");
      assertEquals("SHUTTING_DOWN", refused.at("/error/code").asText(), refused.toString());
      assertEquals("late", refused.get("id").asText());

      catcher.resume();
      JsonNode reply = working.read(Duration.ofSeconds(30));
      assertTrue(reply.get("ok").asBoolean(), reply.toString());
      stopping.get();
      assertTrue(working.closedByPeer(Duration.ofSeconds(5)));
    }
    assertTrue(Files.exists(dir.resolve("pool/vm1/root.img")));
    assertEquals(List.of(), leftovers(dir.resolve("pool")));
  }

  @Test
  void workBeyondTheGraceIsAnsweredShuttingDownAndRolledBack() throws Exception {
    TestDaemon daemon = TestDaemon.start(dir, "volumed.shutdown.grace = 1s, volumed.pools.default.max-overcommit-ratio = 1000");
    long pid;
    try (daemon;
         MkfsCatcher catcher = MkfsCatcher.watch(daemon.pool());
         LineClient working = daemon.connect()) {
      working.send(SLOW_CREATE);
      pid = catcher.awaitStopped(Duration.ofSeconds(30));
      long started = System.nanoTime();
      daemon.close();
      JsonNode reply = working.read(Duration.ofSeconds(5));
      assertEquals("SHUTTING_DOWN", reply.at("/error/code").asText(), reply.toString());
      assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(15)) < 0);
    }
    for (int i = 0; i < 500 && MkfsCatcher.isAlive(pid); i++) {
      Thread.sleep(10);
    }
    assertFalse(MkfsCatcher.isAlive(pid), "the hanging mkfs was killed");
    assertFalse(Files.exists(dir.resolve("pool/vm1/root.img")));
    assertEquals(List.of(), leftovers(dir.resolve("pool")));
  }

  private static void close(TestDaemon daemon) {
    try {
      daemon.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void awaitGone(Path socket) throws InterruptedException {
    for (int i = 0; i < 500 && Files.exists(socket); i++) {
      Thread.sleep(10);
    }
    assertFalse(Files.exists(socket), "the socket file is removed first");
  }

  static List<Path> leftovers(Path pool) throws Exception {
    try (Stream<Path> paths = Files.walk(pool)) {
      return paths.filter(p -> p.getFileName().toString().contains(".volumed-tmp-")).toList();
    }
  }
}

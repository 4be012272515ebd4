package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.MkfsCatcher;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mkfs that runs past volumed.format.timeout is killed, its image removed, and the request answered. */
class HangingMkfsTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4");
  }

  @TempDir
  Path dir;

  @Test
  void mkfsPastTheTimeoutIsKilledAndTheRequestAnsweredFormatFailed() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir,
        "volumed.format.timeout = 2s, volumed.pools.default.max-overcommit-ratio = 1000")) {
      JsonNode reply;
      long pid;
      try (MkfsCatcher catcher = MkfsCatcher.watch(daemon.pool())) {
        JsonNode[] answer = new JsonNode[1];
        Thread client = new Thread(() -> {
          try {
            answer[0] = daemon.request("{\"id\":\"hang\",\"op\":\"create\",\"name\":\"vm1/hang.img\",\"size\":\"1T\"}");
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        client.start();
        pid = catcher.awaitStopped(Duration.ofSeconds(30));
        client.join(30_000);
        reply = answer[0];
      }
      assertEquals("FORMAT_FAILED", reply.at("/error/code").asText(), String.valueOf(reply));
      assertTrue(reply.at("/error/message").asText().contains("timed out"), reply.toString());
      assertFalse(MkfsCatcher.isAlive(pid), "the hanging mkfs was killed");
      assertFalse(Files.exists(daemon.pool().resolve("vm1")));
      assertEquals(List.of(), ShutdownTest.leftovers(daemon.pool()));
      JsonNode pool = daemon.request("{\"op\":\"pools\"}").at("/result/pools/0");
      assertEquals(0, pool.get("provisionedBytes").asLong());
      assertTrue(daemon.request("{\"op\":\"create\",\"name\":\"vm1/next.img\",\"size\":\"64M\"}").get("ok").asBoolean());
    }
  }
}

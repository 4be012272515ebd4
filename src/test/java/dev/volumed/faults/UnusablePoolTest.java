package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool whose books cannot be used answers at once and holds nobody else up; a file of volumed's
 * own that cannot be read is quarantined and the pool loads without it.
 */
class UnusablePoolTest {
  /** What "at once" means to a client. */
  private static final Duration WITHIN = Duration.ofSeconds(1);

  @TempDir Path dir;

  @Test
  void aPoolThatFailsAfterStartAnswersIoErrorAtOnceWhilePingAndTheOtherPoolAnswerWithinASecond() throws Exception {
    Path broken = dir.resolve("a/pool");
    Path healthy = dir.resolve("b/pool");
    String pools = "volumed.pools.default.path = \"" + broken + "\"\n"
        + "volumed.pools.other = ${volumed.pool-defaults} { path = \"" + healthy + "\" }\n";
    try (TestDaemon daemon = TestDaemon.start(dir, pools)) {
      ok(daemon, "{\"op\":\"create\",\"pool\":\"other\",\"name\":\"b.img\",\"size\":\"1M\",\"fs\":\"none\"}");
      // The pool's file system goes away under it: its folder's parent becomes a file.
      Files.move(dir.resolve("a"), dir.resolve("a.away"));
      Files.writeString(dir.resolve("a"), "not a folder");

      JsonNode failed = timed(daemon,
          "{\"op\":\"create\",\"name\":\"a.img\",\"size\":\"1M\",\"fs\":\"none\",\"allocation\":\"fallocate\"}");
      assertEquals("IO_ERROR", failed.path("error").path("code").asText(), failed.toString());
      assertTrue(failed.path("error").path("message").asText().contains("pool default"), failed.toString());
      for (int i = 0; i < 3; i++) { // while it tries to load its books again, and fails
        JsonNode get = timed(daemon, "{\"op\":\"get\",\"name\":\"a.img\"}");
        assertEquals("IO_ERROR", get.path("error").path("code").asText(), get.toString());
        JsonNode ping = timed(daemon, "{\"op\":\"ping\"}");
        assertTrue(ping.path("ok").asBoolean(), ping.toString());
        JsonNode pingDown = ping.path("result").path("unavailable");
        assertEquals("default", pingDown.get(0).path("name").asText(), ping.toString());
        JsonNode poolList = timed(daemon, "{\"op\":\"pools\"}").path("result");
        assertEquals(List.of("other"), poolList.path("pools").findValuesAsText("name"), poolList.toString());
        assertEquals("IO_ERROR", poolList.path("unavailable").get(0).path("error").path("code").asText(), poolList.toString());
        JsonNode listed = timed(daemon, "{\"op\":\"list\"}").path("result");
        assertEquals(List.of("b.img"), listed.path("volumes").findValuesAsText("name"), listed.toString());
        assertEquals("default", listed.path("unavailable").get(0).path("name").asText(), listed.toString());
        assertTrue(timed(daemon, "{\"op\":\"get\",\"pool\":\"other\",\"name\":\"b.img\"}").path("ok").asBoolean());
      }

      Files.delete(dir.resolve("a"));
      Files.move(dir.resolve("a.away"), dir.resolve("a"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      JsonNode ping = timed(daemon, "{\"op\":\"ping\"}");
      while (ping.path("result").has("unavailable") && System.nanoTime() < deadline) {
        Thread.sleep(50); // the ledger's next try to load its books: nothing to wait on from outside
        ping = timed(daemon, "{\"op\":\"ping\"}");
      }
      assertFalse(ping.path("result").has("unavailable"), "the pool serves again once its folder is back: " + ping);
      ok(daemon, "{\"op\":\"create\",\"name\":\"a.img\",\"size\":\"1M\",\"fs\":\"none\"}");
    }
  }

  @Test
  void corruptMetadataAFolderWhereMetadataShouldBeAndACorruptBatchNoteAreQuarantinedAndThePoolLoads() throws Exception {
    Path pool = dir.resolve("pool");
    Files.createDirectories(pool.resolve(".volumed/meta"));
    Files.createDirectories(pool.resolve(".volumed/batches"));
    image(pool.resolve("corrupt.img"));
    Files.writeString(pool.resolve(".volumed/meta/corrupt.img.json"), "{\"size\": 10", StandardCharsets.UTF_8);
    image(pool.resolve("folder.img"));
    Files.createDirectories(pool.resolve(".volumed/meta/folder.img.json"));
    Files.writeString(pool.resolve(".volumed/meta/folder.img.json/inside"), "kept", StandardCharsets.UTF_8);
    Files.writeString(pool.resolve(".volumed/batches/b1.json"), "[\"corrupt.img\"", StandardCharsets.UTF_8);

    try (TestDaemon daemon = TestDaemon.start(dir)) {
      JsonNode volumes = ok(daemon, "{\"op\":\"list\"}").path("volumes");
      assertEquals(List.of("corrupt.img", "folder.img"), volumes.findValuesAsText("name"), volumes.toString());
      for (JsonNode volume : volumes) {
        assertTrue(volume.path("adopted").asBoolean(), volume.toString());
        assertEquals("ready", volume.path("state").asText(), volume.toString());
        assertEquals(1 << 20, volume.path("size").asLong(), volume.toString());
      }
      List<String> quarantined;
      try (Stream<Path> entries = Files.list(pool.resolve(".volumed/quarantine"))) {
        quarantined = entries.map(p -> p.getFileName().toString()).sorted().toList();
      }
      assertEquals(3, quarantined.size(), quarantined.toString());
      assertTrue(quarantined.get(0).startsWith("batches+b1.json."), quarantined.toString());
      assertTrue(quarantined.get(1).startsWith("meta+corrupt.img.json."), quarantined.toString());
      assertTrue(quarantined.get(2).startsWith("meta+folder.img.json."), quarantined.toString());
      Path quarantine = pool.resolve(".volumed/quarantine");
      assertEquals("{\"size\": 10", Files.readString(quarantine.resolve(quarantined.get(1))), "moved untouched");
      assertEquals("kept", Files.readString(quarantine.resolve(quarantined.get(2)).resolve("inside")), "moved whole");
      assertTrue(Files.isRegularFile(pool.resolve(".volumed/meta/folder.img.json")), "new metadata was written");
      try (Stream<Path> notes = Files.list(pool.resolve(".volumed/batches"))) {
        assertEquals(0, notes.count());
      }
      assertTrue(Files.exists(pool.resolve("corrupt.img")), "the unreadable note's volumes are kept");
    }
  }

  private static void image(Path path) throws Exception {
    try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
      file.setLength(1 << 20);
    }
  }

  private static JsonNode ok(TestDaemon daemon, String request) throws Exception {
    JsonNode reply = daemon.request(request);
    assertTrue(reply.path("ok").asBoolean(), request + " -> " + reply);
    return reply.path("result");
  }

  /** One request that must be answered within a second. */
  private static JsonNode timed(TestDaemon daemon, String request) throws Exception {
    try (LineClient client = daemon.connect()) {
      client.send(request);
      return client.read(WITHIN);
    }
  }
}

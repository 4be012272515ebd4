package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.TestDaemon;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image changed behind volumed's back is found at the next refresh (type, length, blocks against
 * its metadata): shown "damaged" with the reason, never answered "existed", still deletable, still
 * counted at its recorded size, and ready again once its image is restored.
 */
class DamagedVolumeTest {
  private static final long MIB = 1L << 20;
  /** Refresh often, so "the next refresh" comes soon. */
  private static final String FAST_REFRESH = "volumed.accounting.refresh-interval = 1s\n";
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void anImageTruncatedBehindVolumedsBackIsDamagedAtTheNextRefreshAndReadyAgainWhenRestored() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, FAST_REFRESH)) {
      String create = "{\"op\":\"create\",\"name\":\"vm1/root.img\",\"size\":\"16M\",\"fs\":\"none\",\"allocation\":\"sparse\"}";
      ok(daemon, create);
      long provisioned = pool(daemon).path("provisionedBytes").asLong();
      Path image = daemon.pool().resolve("vm1/root.img");
      try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
        file.setLength(1);
      }

      JsonNode damaged = awaitGet(daemon, "vm1/root.img", v -> v.path("state").asText().equals("damaged"));
      assertEquals("image is 1 byte long, its metadata says " + 16 * MIB, damaged.path("damage").asText(), damaged.toString());
      assertEquals(16 * MIB, damaged.path("size").asLong(), "the recorded size stays: " + damaged);
      JsonNode listed = ok(daemon, "{\"op\":\"list\"}").path("volumes").get(0);
      assertEquals("damaged", listed.path("state").asText(), listed.toString());
      assertEquals(damaged.path("damage"), listed.path("damage"), listed.toString());
      JsonNode again = daemon.request(create);
      assertFalse(again.path("ok").asBoolean(), "a same-spec create of a damaged volume: " + again);
      assertEquals("ALREADY_EXISTS", again.path("error").path("code").asText(), again.toString());
      assertTrue(again.path("error").path("message").asText().contains("damaged"), again.toString());
      assertEquals(provisioned, pool(daemon).path("provisionedBytes").asLong(), "still counted at its recorded size");

      try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
        file.setLength(16 * MIB);
      }
      JsonNode restored = awaitGet(daemon, "vm1/root.img", v -> v.path("state").asText().equals("ready"));
      assertFalse(restored.has("damage"), restored.toString());
      assertTrue(ok(daemon, create).path("existed").asBoolean(), "once restored, a same-spec create is existed");
    }
  }

  @Test
  void anImageReplacedByAFolderIsDamagedAndItsDeleteRemovesTheVolumeButNotTheFoldersContent() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, FAST_REFRESH)) {
      ok(daemon, "{\"op\":\"create\",\"name\":\"full.img\",\"size\":\"8M\",\"fs\":\"none\",\"allocation\":\"fallocate\"}");
      ok(daemon, "{\"op\":\"create\",\"name\":\"empty.img\",\"size\":\"8M\",\"fs\":\"none\",\"allocation\":\"sparse\"}");
      Path full = daemon.pool().resolve("full.img");
      Files.delete(full);
      Files.createDirectory(full);
      Path kept = full.resolve("someone-elses.txt");
      Files.writeString(kept, "not volumed's", StandardCharsets.UTF_8);
      Path empty = daemon.pool().resolve("empty.img");
      Files.delete(empty);
      Files.createDirectory(empty);

      for (String name : new String[] {"full.img", "empty.img"}) {
        JsonNode damaged = awaitGet(daemon, name, v -> v.path("state").asText().equals("damaged"));
        assertEquals("the image is a folder, not a file", damaged.path("damage").asText(), damaged.toString());
      }
      assertEquals(16 * MIB, pool(daemon).path("provisionedBytes").asLong());
      assertEquals(8 * MIB, pool(daemon).path("committedBytes").asLong(), "a damaged fallocate volume stays committed");

      assertEquals("full.img", ok(daemon, "{\"op\":\"delete\",\"name\":\"full.img\"}").path("deleted").asText());
      assertEquals("empty.img", ok(daemon, "{\"op\":\"delete\",\"name\":\"empty.img\"}").path("deleted").asText());
      assertEquals("not volumed's", Files.readString(kept, StandardCharsets.UTF_8), "a folder's content is never deleted");
      assertFalse(Files.exists(empty), "an empty folder at the image's name is removed");
      assertFalse(Files.exists(daemon.pool().resolve(".volumed/meta/full.img.json")));
      assertEquals(0, ok(daemon, "{\"op\":\"list\"}").path("volumes").size());
      assertEquals(0, pool(daemon).path("provisionedBytes").asLong());
      assertEquals(0, pool(daemon).path("committedBytes").asLong());
    }
  }

  @Test
  void metadataEditedToSayFallocateOverASparseImageIsDamagedAtStartUp() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir)) {
      ok(daemon, "{\"op\":\"create\",\"name\":\"thin.img\",\"size\":\"32M\",\"fs\":\"none\",\"allocation\":\"sparse\"}");
    }
    Path meta = dir.resolve("pool/.volumed/meta/thin.img.json");
    Files.writeString(meta, Files.readString(meta).replace("\"sparse\"", "\"fallocate\""));

    try (TestDaemon daemon = TestDaemon.start(dir)) {
      JsonNode volume = ok(daemon, "{\"op\":\"get\",\"name\":\"thin.img\"}");
      assertEquals("damaged", volume.path("state").asText(), volume.toString());
      assertEquals("fallocate", volume.path("allocation").asText(), "the metadata is kept as it is: " + volume);
      assertTrue(volume.path("damage").asText().startsWith("image has 0 of its " + 32 * MIB + " bytes allocated"),
          volume.toString());
      assertTrue(Files.readString(meta).contains("\"fallocate\""), "the metadata is not rewritten");
      // Counted as its metadata says: conservative, the damage is what is shown.
      assertEquals(32 * MIB, pool(daemon).path("committedBytes").asLong());
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static JsonNode ok(TestDaemon daemon, String request) throws Exception {
    JsonNode reply = daemon.request(request);
    assertTrue(reply.path("ok").asBoolean(), request + " -> " + reply);
    return reply.path("result");
  }

  private static JsonNode pool(TestDaemon daemon) throws Exception {
    return ok(daemon, "{\"op\":\"pools\"}").path("pools").get(0);
  }

  /** get, again and again (bounded), until the volume is as wanted. */
  private static JsonNode awaitGet(TestDaemon daemon, String name, Predicate<JsonNode> wanted) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = ok(daemon, "{\"op\":\"get\",\"name\":\"" + name + "\"}");
      if (wanted.test(last)) {
        return last;
      }
      Thread.sleep(50); // polling for the ledger's next refresh: it has no event to wait on
    }
    throw new AssertionError(name + " never became as wanted within " + PATIENCE + "; last: " + last);
  }
}

package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.VolumedProcess;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool on a 64 MiB tmpfs that a filler file outside volumed (on the same file system, outside
 * the pool) fills and empties, with a refresh every second: each crossing of a watermark is one
 * pool event to a watcher and one log line; at level full sparse creates are refused and
 * fallocate ones are still decided by their physical room. Needs root (mount -t tmpfs).
 */
class LevelsTest {
  private static final long MIB = 1L << 20;

  @TempDir Path dir;
  private Path mnt;
  private Path filler;
  private VolumedProcess daemon;

  @BeforeEach
  void mountTmpfsAndStart() throws Exception {
    Assumptions.assumeTrue(Host.IS_ROOT, "needs root to mount a tmpfs");
    mnt = Files.createDirectory(dir.resolve("mnt"));
    Host.Run mount = Host.run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt.toString());
    Assumptions.assumeTrue(mount.exit() == 0, "mount -t tmpfs failed (no mount privilege here): " + mount.output());
    filler = mnt.resolve("filler");
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, String.join("\n",
        "volumed.socket.path = \"" + dir.resolve("volumed.sock") + "\"",
        "volumed.pools.default.path = \"" + mnt.resolve("pool") + "\"",
        "volumed.pools.default.reserved-percent = 0",
        "volumed.pools.default.max-overcommit-ratio = 100",
        "volumed.accounting.refresh-interval = 1s",
        ""), StandardCharsets.UTF_8);
    daemon = VolumedProcess.start(config, dir.resolve("volumed.sock"), dir.resolve("volumed.log"));
  }

  @AfterEach
  void stopAndUnmount() throws Exception {
    try {
      if (daemon != null) {
        daemon.close();
      }
    } finally {
      Host.unmountIfMounted(mnt);
    }
  }

  @Test
  void eachCrossingIsOneEventAndOneLogLineAndFullRefusesSparseCreatesOnly() throws Exception {
    try (LineClient watcher = daemon.connect()) {
      watcher.send("{\"id\":\"w\",\"op\":\"watch\"}");
      JsonNode first = watcher.read();
      assertEquals("ok", first.get("level").asText(), first.toString());

      fillTo(85);
      expectLevel(watcher, "warn", "ok");
      fillTo(92);
      expectLevel(watcher, "critical", "warn");
      fillTo(98);
      expectLevel(watcher, "full", "critical");

      JsonNode pool = daemon.result("{\"op\":\"pools\"}").at("/pools/0");
      assertEquals("full", pool.get("level").asText(), pool.toString());
      assertTrue(pool.get("filesystemUsedPercent").asDouble() >= 95, pool.toString());

      JsonNode sparse = daemon.request(create("sparse.img", "1M", "sparse"));
      assertEquals("INSUFFICIENT_SPACE", sparse.at("/error/code").asText(), sparse.toString());
      assertTrue(sparse.at("/error/message").asText().contains("level full"), sparse.toString());
      JsonNode batch = daemon.request("{\"op\":\"batch\",\"volumes\":[{\"name\":\"b1\",\"size\":\"1M\",\"fs\":\"none\","
          + "\"allocation\":\"fallocate\"},{\"name\":\"b2\",\"size\":\"1M\",\"fs\":\"none\"}]}");
      assertTrue(batch.at("/error/message").asText().contains("level full"), batch.toString());
      // fallocate: rule 1 alone. What fits in the free space is made; what does not is refused by rule 1.
      JsonNode small = daemon.request(create("small.img", "256K", "fallocate"));
      assertTrue(small.path("ok").asBoolean(), small.toString());
      assertEquals("created", watcher.read().get("action").asText());
      JsonNode big = daemon.request(create("big.img", "8M", "fallocate"));
      assertEquals("INSUFFICIENT_SPACE", big.at("/error/code").asText(), big.toString());
      assertTrue(big.at("/error/message").asText().contains("allocated on disk"), big.toString());

      Files.delete(filler);
      // The refused create reads the file system again, so it is accepted at once.
      JsonNode again = daemon.request(create("sparse.img", "1M", "sparse"));
      assertTrue(again.path("ok").asBoolean(), again.toString());
      JsonNode fell = watcher.read();
      assertEquals("pool", fell.get("event").asText(), fell.toString());
      assertEquals("ok", fell.get("level").asText(), fell.toString());
      assertEquals("full", fell.get("previous").asText(), fell.toString());
      assertEquals("created", watcher.read().get("action").asText());
      // Three more refreshes find nothing new to say: no second event for any crossing.
      AssertionError quiet = assertThrows(AssertionError.class, () -> watcher.read(Duration.ofSeconds(3)));
      assertTrue(quiet.getMessage().contains("no line"), quiet.toString());
    }
    List<String> lines = Files.readAllLines(daemon.log(), StandardCharsets.UTF_8);
    lines.stream().filter(line -> line.contains("rose from") || line.contains("fell from")).forEach(System.out::println);
    assertEquals(1, count(lines, " WARN ", "pool default: rose from ok to warn"), daemon.describeLog());
    assertEquals(1, count(lines, " WARN ", "pool default: rose from warn to critical"), daemon.describeLog());
    assertEquals(1, count(lines, " WARN ", "pool default: rose from critical to full"), daemon.describeLog());
    assertEquals(1, count(lines, " INFO ", "pool default: fell from full to ok"), daemon.describeLog());
    assertEquals(4, count(lines, "", "pool default: rose from") + count(lines, "", "pool default: fell from"),
        daemon.describeLog());
  }

  /**
   * At level full every resize is refused, of a sparse volume and of a fallocate one that would fit
   * in the free space alike: INSUFFICIENT_SPACE naming the level, the volume and its pool; the books,
   * the volumes and their images stay as they were.
   */
  @Test
  void atLevelFullEveryResizeIsRefusedNamingTheLevelAndTheBooksStay() throws Exception {
    try (LineClient watcher = daemon.connect()) {
      watcher.send("{\"id\":\"w\",\"op\":\"watch\"}");
      assertEquals("ok", watcher.read().get("level").asText());
      assertTrue(daemon.request(create("grow.img", "1M", "sparse")).path("ok").asBoolean());
      assertTrue(daemon.request(create("fixed.img", "1M", "fallocate")).path("ok").asBoolean());
      assertEquals("created", watcher.read().get("action").asText());
      assertEquals("created", watcher.read().get("action").asText());
      fillTo(98);
      expectLevel(watcher, "full", "ok");

      JsonNode before = books();
      for (String name : List.of("grow.img", "fixed.img")) {
        JsonNode refused = daemon.request("{\"op\":\"resize\",\"name\":\"" + name + "\",\"size\":\"2M\"}");
        assertEquals("INSUFFICIENT_SPACE", refused.at("/error/code").asText(), refused.toString());
        String message = refused.at("/error/message").asText();
        assertTrue(message.contains("pool default is at level full") && message.contains("resizing volume " + name),
            refused.toString());
        assertEquals(MIB, daemon.result("{\"op\":\"get\",\"name\":\"" + name + "\"}").path("size").asLong());
        assertEquals(MIB, Files.size(mnt.resolve("pool").resolve(name)));
      }
      assertEquals(before, books());
      // A resize to the size it has changes nothing, so it is not refused.
      assertTrue(daemon.request("{\"op\":\"resize\",\"name\":\"grow.img\",\"size\":\"1M\"}").path("ok")
          .asBoolean());

      Files.delete(filler);
      JsonNode grown = daemon.request("{\"op\":\"resize\",\"name\":\"grow.img\",\"size\":\"2M\"}");
      assertTrue(grown.path("ok").asBoolean(), grown.toString());
    }
  }

  /** What the books hold of the pool: sizes committed and provisioned, volumes, requests in flight. */
  private JsonNode books() throws Exception {
    JsonNode pool = daemon.result("{\"op\":\"pools\"}").at("/pools/0");
    return JsonNodeFactory.instance.objectNode().put("committed", pool.path("committedBytes").asLong())
        .put("provisioned", pool.path("provisionedBytes").asLong()).put("volumes", pool.path("volumes").asInt())
        .put("inFlight", pool.path("inFlight").asInt());
  }

  /** The next event is the pool's change to {@code level} from {@code previous}. */
  private static void expectLevel(LineClient watcher, String level, String previous) throws Exception {
    JsonNode event = watcher.read(Duration.ofSeconds(15));
    assertEquals("pool", event.get("event").asText(), event.toString());
    assertEquals(level, event.get("level").asText(), event.toString());
    assertEquals(previous, event.get("previous").asText(), event.toString());
    assertTrue(event.get("message").asText().contains(level), event.toString());
  }

  /** Grows or shrinks the filler so that the file system is {@code percent} used. */
  private void fillTo(double percent) throws IOException {
    FileStore store = Files.getFileStore(mnt);
    long total = store.getTotalSpace();
    long fillerNow = Files.exists(filler) ? Files.size(filler) : 0;
    long others = total - store.getUsableSpace() - fillerNow;
    long target = (long) Math.ceil(total * percent / 100) - others;
    target = (target + 4095) / 4096 * 4096;
    try (RandomAccessFile file = new RandomAccessFile(filler.toFile(), "rw")) {
      if (target < fillerNow) {
        file.setLength(target);
        return;
      }
      file.seek(fillerNow);
      byte[] chunk = new byte[(int) MIB];
      for (long left = target - fillerNow; left > 0; left -= chunk.length) {
        file.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
    }
  }

  private static String create(String name, String size, String allocation) {
    return "{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"" + size + "\",\"fs\":\"none\",\"allocation\":\""
        + allocation + "\"}";
  }

  private static long count(List<String> lines, String level, String text) {
    return lines.stream().filter(line -> line.contains(level) && line.contains(text)).count();
  }
}

package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.MkfsCatcher;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch op through the socket: all or nothing, partial when asked, progress, bounded parallelism. */
class BatchTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4", "mkfs.xfs", "mkfs.vfat");
  }

  private static final long GIB = 1L << 30;

  @TempDir
  Path dir;

  @Test
  void atomicBatchThatDoesNotFitIsRefusedWholeAndMakesNothing() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.pools.default { capacity = \"4G\", max-overcommit-ratio = 1.0 }")) {
      JsonNode before = pool(daemon);
      JsonNode reply = daemon.request(batch("\"atomic\":true", volumes(5, "1G", "fallocate", "ext4")));
      assertEquals("INSUFFICIENT_SPACE", reply.at("/error/code").asText(), reply.toString());
      assertEquals(List.of(), ConcurrentAdmissionTest.images(daemon.pool()));
      assertEquals(before, pool(daemon));
    }
  }

  @Test
  void atomicBatchWithAMemberThatFailsFormattingIsRolledBack() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir)) {
      JsonNode before = pool(daemon);
      String members = "{\"name\":\"vm1/a.img\",\"size\":\"64M\"},"
          + "{\"name\":\"vm1/b.img\",\"size\":\"64M\",\"fs\":\"vfat\"},"
          + "{\"name\":\"vm2/too-small.img\",\"size\":\"16M\",\"fs\":\"xfs\"},"
          + "{\"name\":\"vm2/c.img\",\"size\":\"64M\",\"allocation\":\"fallocate\"}";
      JsonNode reply = daemon.request("{\"id\":\"rb\",\"op\":\"batch\",\"volumes\":[" + members + "]}");
      assertFalse(reply.get("ok").asBoolean());
      assertEquals("FORMAT_FAILED", reply.at("/error/code").asText(), reply.toString());
      JsonNode outcomes = reply.at("/error/details/outcomes");
      assertEquals(4, outcomes.size());
      assertEquals("failed", outcomes.get(2).get("outcome").asText());
      assertEquals("rolled back", outcomes.get(0).get("outcome").asText());
      assertEquals(List.of(), everythingUnder(daemon.pool()));
      assertEquals(before, pool(daemon));
      assertEquals(0, daemon.request("{\"op\":\"list\"}").at("/result/volumes").size());
    }
  }

  @Test
  void atomicBatchWhoseFirstVolumeFailsStopsStartingTheRest() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.format.parallelism = 1")) {
      String members = "{\"name\":\"first.img\",\"size\":\"16M\",\"fs\":\"xfs\"}," + volumes(30, "64M", "sparse", "ext4");
      JsonNode reply = daemon.request("{\"id\":\"ff\",\"op\":\"batch\",\"volumes\":[" + members + "]}");
      assertEquals("FORMAT_FAILED", reply.at("/error/code").asText(), reply.toString());
      JsonNode outcomes = reply.at("/error/details/outcomes");
      assertEquals(31, outcomes.size());
      assertEquals("first.img", outcomes.get(0).get("name").asText());
      assertEquals("failed", outcomes.get(0).get("outcome").asText());
      // One volume formats at a time: the first fails before the second would start.
      for (int i = 1; i < outcomes.size(); i++) {
        assertEquals("not started", outcomes.get(i).get("outcome").asText(), outcomes.get(i).toString());
      }
      assertEquals(List.of(), everythingUnder(daemon.pool()));
      assertEquals(0, pool(daemon).get("provisionedBytes").asLong());
    }
  }

  @Test
  void nonAtomicBatchMakesWhatFitsAndListsTheRestWithCodes() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.pools.default { capacity = \"4G\", max-overcommit-ratio = 1.0 }")) {
      String members = "{\"name\":\"bad.img\",\"size\":\"16M\",\"fs\":\"xfs\",\"allocation\":\"fallocate\"},"
          + volumes(6, "1G", "fallocate", "none");
      JsonNode reply = daemon.request(batch("\"atomic\":false", members));
      assertTrue(reply.get("ok").asBoolean(), reply.toString());
      assertEquals(3, reply.at("/result/created").size(), reply.toString());
      JsonNode failed = reply.at("/result/failed");
      assertEquals(4, failed.size());
      // Admission runs in list order: the xfs volume (16 MiB) and three 1 GiB volumes fit in 4 GiB.
      assertEquals("bad.img", failed.get(0).get("name").asText());
      assertEquals("FORMAT_FAILED", failed.get(0).at("/error/code").asText());
      for (int i = 1; i < 4; i++) {
        assertEquals("INSUFFICIENT_SPACE", failed.get(i).at("/error/code").asText());
      }
      assertEquals(3, ConcurrentAdmissionTest.images(daemon.pool()).size());
      assertEquals(3 * GIB, pool(daemon).get("committedBytes").asLong());
    }
  }

  @Test
  void hundredVolumeBatchStreamsProgressAndStaysWithinItsParallelism() throws Exception {
    int bound = 3;
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.format.parallelism = " + bound)) {
      AtomicBoolean sampling = new AtomicBoolean(true);
      AtomicInteger mostMkfs = new AtomicInteger();
      Thread sampler = new Thread(() -> {
        while (sampling.get()) {
          mostMkfs.accumulateAndGet(mkfsProcessesFor(daemon.pool()), Math::max);
        }
      });
      sampler.start();
      List<JsonNode> events = new ArrayList<>();
      JsonNode reply;
      try (LineClient client = daemon.connect()) {
        client.send(batch("\"progress\":true", volumes(100, "64M", "sparse", "ext4")));
        while (true) {
          JsonNode line = client.read();
          if (!line.has("event")) {
            reply = line;
            break;
          }
          events.add(line);
        }
      } finally {
        sampling.set(false);
        sampler.join();
      }
      assertTrue(reply.get("ok").asBoolean(), reply.toString());
      assertEquals(100, reply.at("/result/created").size());
      assertEquals(100, events.size());
      Set<String> names = new HashSet<>();
      for (int i = 0; i < events.size(); i++) {
        JsonNode event = events.get(i);
        assertEquals("progress", event.get("event").asText());
        assertEquals("b1", event.get("id").asText());
        assertEquals(i + 1, event.get("done").asInt());
        assertEquals(100, event.get("total").asInt());
        assertEquals("created", event.get("outcome").asText());
        names.add(event.get("name").asText());
      }
      assertEquals(100, names.size());
      int most = reply.at("/result/stats/maxConcurrentWorkers").asInt();
      assertTrue(most >= 1 && most <= bound, "workers at once: " + most);
      assertTrue(mostMkfs.get() <= bound, "mkfs processes at once: " + mostMkfs.get());
      assertEquals(100, ConcurrentAdmissionTest.images(daemon.pool()).size());
    }
  }

  @Test
  void rerunOfAnAtomicBatchFindsEveryVolumeExisting() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir)) {
      String request = batch("\"atomic\":true", volumes(4, "64M", "sparse", "ext4"));
      assertTrue(daemon.request(request).get("ok").asBoolean());
      JsonNode again = daemon.request(request);
      assertTrue(again.get("ok").asBoolean(), again.toString());
      for (JsonNode volume : again.at("/result/created")) {
        assertTrue(volume.get("existed").asBoolean());
      }
    }
  }

  @Test
  void batchFinishesWhenItsClientHasGone() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.format.parallelism = 2")) {
      try (LineClient client = daemon.connect()) {
        client.send(batch("\"progress\":true", volumes(20, "64M", "sparse", "ext4")));
      }
      long deadline = System.nanoTime() + 60_000_000_000L;
      int ready = 0;
      while (System.nanoTime() < deadline) {
        JsonNode list = daemon.request("{\"op\":\"list\"}").at("/result/volumes");
        ready = 0;
        for (JsonNode volume : list) {
          ready += volume.get("state").asText().equals("ready") ? 1 : 0;
        }
        if (ready == 20) {
          break;
        }
        Thread.sleep(50);
      }
      assertEquals(20, ready);
      assertEquals(20, everythingUnder(daemon.pool()).stream().filter(p -> p.endsWith(".img")).count());
    }
  }

  @Test
  void badBatchesAreRefusedBeforeAnythingIsReserved() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.batch.max-volumes = 5")) {
      assertEquals("BAD_REQUEST", daemon.request("{\"op\":\"batch\"}").at("/error/code").asText());
      assertEquals("BAD_REQUEST", daemon.request("{\"op\":\"batch\",\"volumes\":[]}").at("/error/code").asText());
      assertEquals("BAD_REQUEST", daemon.request(batch("", volumes(6, "64M", "sparse", "ext4"))).at("/error/code").asText());
      assertEquals("BAD_REQUEST", daemon.request(batch("\"atomic\":\"yes\"", volumes(1, "64M", "sparse", "ext4")))
          .at("/error/code").asText());
      JsonNode badName = daemon.request(batch("", "{\"name\":\"ok.img\",\"size\":\"64M\"},{\"name\":\"../x\",\"size\":\"64M\"}"));
      assertEquals("INVALID_NAME", badName.at("/error/code").asText());
      assertEquals(1, badName.at("/error/details/index").asInt());
      JsonNode twice = daemon.request(batch("", "{\"name\":\"t.img\",\"size\":\"64M\"},{\"name\":\"t.img\",\"size\":\"64M\"}"));
      assertEquals("BAD_REQUEST", twice.at("/error/code").asText());
      assertEquals(List.of(), ConcurrentAdmissionTest.images(daemon.pool()));
    }
  }

  static String batch(String flags, String members) {
    return "{\"id\":\"b1\",\"op\":\"batch\"" + (flags.isEmpty() ? "" : "," + flags) + ",\"volumes\":[" + members + "]}";
  }

  static String volumes(int count, String size, String allocation, String fs) {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      members.add("{\"name\":\"vm" + i + "/disk.img\",\"size\":\"" + size + "\",\"allocation\":\"" + allocation
          + "\",\"fs\":\"" + fs + "\"}");
    }
    return String.join(",", members);
  }

  private static JsonNode pool(TestDaemon daemon) throws Exception {
    JsonNode pool = daemon.request("{\"op\":\"pools\"}").at("/result/pools/0").deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) pool).remove(List.of("filesystemFreeBytes",
        "availableForFallocateBytes", "allocatedBytes"));
    return pool;
  }

  /** Everything under the pool but its metadata folder (which holds only folders after a rollback). */
  private static List<String> everythingUnder(Path pool) throws IOException {
    try (Stream<Path> paths = Files.walk(pool)) {
      return paths.filter(p -> !p.equals(pool))
          .map(p -> pool.relativize(p).toString())
          .filter(p -> !p.startsWith(".volumed"))
          .sorted().toList();
    }
  }

  /** How many mkfs processes are running on images under this pool right now, from /proc. */
  private static int mkfsProcessesFor(Path pool) {
    int count = 0;
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
        try {
          String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
          if (cmdline.startsWith("mkfs") || cmdline.contains("/mkfs.")) {
            count += MkfsCatcher.worksUnder(cmdline, pool) ? 1 : 0;
          }
        } catch (IOException gone) {
          // the process ended while we looked
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return count;
  }
}

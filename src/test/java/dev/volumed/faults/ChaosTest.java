package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.Tools;
import dev.volumed.testing.VolumedProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real volumed process SIGKILLed in the middle of a 150-volume batch, again and again: after
 * every restart there is no temporary file, every published image is whole (e2fsck, length,
 * blocks), {@code list} is exactly what is on disk with its metadata, and the books add up.
 * The seed is printed; run again with {@code -Dchaos.seed=N} to repeat a run's choices.
 */
class ChaosTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4", "mkfs.ext2", "e2fsck");
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MIB = 1L << 20;
  private static final int ROUNDS = 8;
  private static final int BATCH = 150;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;
  private Path config;
  private Path socket;
  private Path pool;
  private Path log;
  private final List<VolumedProcess> started = new ArrayList<>();
  /** ext* images already found clean: an image is never changed after it is published. */
  private final Set<String> checked = new HashSet<>();

  @BeforeEach
  void writeConfig() throws Exception {
    socket = dir.resolve("run/volumed.sock");
    pool = dir.resolve("pools/default");
    log = dir.resolve("volumed.log");
    config = dir.resolve("volumed.conf");
    Files.writeString(config, String.join("\n",
        "volumed.socket.path = \"" + socket + "\"",
        "volumed.pools.default.path = \"" + pool + "\"",
        "volumed.pools.default.reserved-percent = 0",
        "volumed.format.parallelism = 2",
        ""), StandardCharsets.UTF_8);
  }

  @AfterEach
  void killWhatIsStillRunning() throws Exception {
    for (VolumedProcess p : started) {
      p.close();
    }
  }

  @Test
  void sigkillInTheMiddleOfBatchesLeavesNoTemporaryFilesWholeImagesAndBooksThatMatchTheDisk() throws Exception {
    long seed = Long.getLong("chaos.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("ChaosTest seed " + seed + " (repeat with -Dchaos.seed=" + seed + ")");
    long startNanos = System.nanoTime();
    int kills = 0;
    List<String> partialAtomic = new ArrayList<>();

    VolumedProcess daemon = start();
    for (int round = 0; round < ROUNDS; round++) {
      boolean atomic = round % 2 == 0;
      // Kill after this many progress events (0: maybe before admission; BATCH: while publishing),
      // then after a further few milliseconds. One atomic round waits for every volume to be built,
      // so that the kill falls while the batch publishes.
      int afterEvents = round == ROUNDS - 2 ? BATCH : random.nextInt(BATCH + 1);
      int extraMillis = random.nextInt(40);
      String batch = batch("r" + round, atomic, random);
      int seen;
      boolean replied = false;
      try (LineClient client = daemon.connect()) {
        client.send(batch);
        seen = 0;
        while (seen < afterEvents) {
          JsonNode line = client.read(Duration.ofSeconds(60));
          if (!line.has("event")) {
            replied = true;
            break;
          }
          seen++;
        }
        Thread.sleep(extraMillis); // the random fault point itself, not an ordering wait
        daemon.kill();
      }
      kills++;
      System.out.printf("ChaosTest round %d (%s): SIGKILL after %d progress events + %d ms%s%n", round,
          atomic ? "atomic" : "not atomic", seen, extraMillis, replied ? " (the batch had already replied)" : "");

      daemon = start();
      Map<String, JsonNode> volumes = verify(daemon, "after kill " + kills);
      String prefix = "r" + round + "/";
      long ofRound = volumes.keySet().stream().filter(n -> n.startsWith(prefix)).count();
      System.out.printf("ChaosTest round %d: %d of %d volumes of the batch survived, %d volumes in the pool%n",
          round, ofRound, BATCH, volumes.size());
      if (atomic && ofRound != 0 && ofRound != BATCH) {
        partialAtomic.add("round " + round + ": " + ofRound + " of " + BATCH);
      }
      if (atomic && replied) {
        assertEquals(BATCH, ofRound, "an atomic batch that replied before the kill is kept whole");
      }
    }

    // The daemon works after the kills: a batch that runs to its end.
    JsonNode reply;
    try (LineClient client = daemon.connect()) {
      reply = client.request(batch("final", false, random));
    }
    assertTrue(reply.path("ok").asBoolean(), reply.toString());
    assertEquals(BATCH, reply.path("result").path("created").size(), reply.toString());
    assertEquals(0, reply.path("result").path("failed").size(), reply.toString());
    Map<String, JsonNode> volumes = verify(daemon, "after the final batch");
    assertEquals(0, daemon.terminate(), daemon.describeLog());
    // An atomic batch notes itself on disk before publishing; a start-up that finds the note undoes it.
    assertEquals(List.of(), partialAtomic, "atomic batches are all or nothing, across a SIGKILL too");

    System.out.printf("ChaosTest: %d SIGKILLs survived, %d volumes at the end, %d ext images checked with e2fsck,"
        + " atomic batches left partly published by a kill: %s, %d s%n", kills, volumes.size(), checked.size(),
        partialAtomic.isEmpty() ? "none" : partialAtomic, (System.nanoTime() - startNanos) / 1_000_000_000L);
  }

  private VolumedProcess start() throws Exception {
    VolumedProcess p = VolumedProcess.start(config, socket, log);
    started.add(p);
    return p;
  }

  /** A batch of small volumes: mostly sparse ext4, some raw, some fallocate and full. */
  private static String batch(String prefix, boolean atomic, Random random) {
    ObjectNode request = JSON.createObjectNode().put("id", "batch-" + prefix).put("op", "batch")
        .put("atomic", atomic).put("progress", true);
    ArrayNode list = request.putArray("volumes");
    for (int i = 0; i < BATCH; i++) {
      ObjectNode v = list.addObject().put("name", prefix + "/v" + i + ".img");
      int kind = random.nextInt(100);
      if (kind < 65) {
        v.put("size", (16 + 4 * random.nextInt(13)) + "M").put("fs", "ext4").put("allocation", "sparse");
      } else if (kind < 70) {
        v.put("size", "16M").put("fs", "ext2").put("allocation", "sparse");
      } else if (kind < 80) {
        v.put("size", (16 + 16 * random.nextInt(4)) + "M").put("fs", "none").put("allocation", "sparse");
      } else if (kind < 88) {
        v.put("size", "16M").put("fs", "ext4").put("allocation", "fallocate");
      } else if (kind < 95) {
        v.put("size", "16M").put("fs", "none").put("allocation", "fallocate");
      } else {
        v.put("size", "8M").put("fs", "none").put("allocation", "full");
      }
    }
    return request.toString();
  }

  /**
   * What a restart must give: no temporary file, list = disk (names, sizes, metadata), whole
   * images, books = sums over the listed volumes. Returns the listed volumes by name.
   */
  private Map<String, JsonNode> verify(VolumedProcess daemon, String when) throws Exception {
    Map<String, JsonNode> listed = Host.listAgreesWithDisk(daemon, pool, when);

    long provisioned = 0;
    long committed = 0;
    Map<String, long[]> stats = blocks(listed.keySet());
    List<String> toCheck = new ArrayList<>();
    for (JsonNode v : listed.values()) {
      String name = v.path("name").asText();
      long size = v.path("size").asLong();
      String allocation = v.path("allocation").asText();
      assertEquals("ready", v.path("state").asText(), v.toString());
      long[] st = stats.get(name);
      assertEquals(size, st[0], "length of " + name + " " + when + ": " + v);
      if (!allocation.equals("sparse")) {
        assertTrue(st[1] >= size, name + " is " + allocation + " but has only " + st[1] + " bytes of blocks: " + v);
        committed += size;
      } else if (v.path("fs").asText().equals("none")) {
        assertTrue(st[1] <= 64 * 1024, "raw sparse " + name + " has " + st[1] + " bytes of blocks: " + v);
      }
      provisioned += size;
      if (v.path("fs").asText().startsWith("ext") && !checked.contains(name)) {
        toCheck.add(name);
      }
    }
    fsck(toCheck, when);

    JsonNode books = daemon.result("{\"op\":\"pools\"}").path("pools").get(0);
    assertEquals(provisioned, books.path("provisionedBytes").asLong(), "provisionedBytes " + when + ": " + books);
    assertEquals(committed, books.path("committedBytes").asLong(), "committedBytes " + when + ": " + books);
    return listed;
  }

  /** Length and bytes of blocks (st_blocks x 512) of each image, from one stat call. */
  private Map<String, long[]> blocks(Set<String> names) throws Exception {
    Map<String, long[]> result = new TreeMap<>();
    List<String> all = new ArrayList<>(names);
    for (int from = 0; from < all.size(); from += 500) {
      List<String> argv = new ArrayList<>(List.of("stat", "-c", "%s %b %n"));
      all.subList(from, Math.min(all.size(), from + 500)).forEach(n -> argv.add(pool.resolve(n).toString()));
      Host.Run run = Host.run(argv);
      assertEquals(0, run.exit(), run.output());
      for (String line : run.output().split("\n")) {
        String[] f = line.split(" ", 3);
        result.put(pool.relativize(Path.of(f[2])).toString(), new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]) * 512});
      }
    }
    return result;
  }

  /** e2fsck -n -f on each image, two at a time. */
  private void fsck(List<String> names, String when) throws Exception {
    ExecutorService pool2 = Executors.newFixedThreadPool(2);
    try {
      List<Future<Host.Run>> runs = new ArrayList<>();
      for (String name : names) {
        runs.add(pool2.submit(() -> Host.run("e2fsck", "-n", "-f", pool.resolve(name).toString())));
      }
      for (int i = 0; i < names.size(); i++) {
        Host.Run run = runs.get(i).get();
        assertEquals(0, run.exit(), "e2fsck -n -f " + names.get(i) + " " + when + ":\n" + run.output());
        checked.add(names.get(i));
      }
    } finally {
      pool2.shutdownNow();
    }
  }
}

package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.MkfsCatcher;
import dev.volumed.testing.Tools;
import dev.volumed.testing.VolumedProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL while volumed makes a template and while it clones: after a restart no temporary file is
 * left (in the pool or its templates folder), every listed volume is a clean file system, and the
 * next volumes are made from a template that passes its check.
 */
class CloneKillTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4", "e2fsck");
  }

  @TempDir Path dir;
  private Path config;
  private Path socket;
  private Path pool;
  private Path log;
  private final List<VolumedProcess> started = new ArrayList<>();

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
        ""), StandardCharsets.UTF_8);
  }

  @AfterEach
  void killWhatIsStillRunning() throws Exception {
    for (VolumedProcess p : started) {
      p.close();
    }
  }

  private VolumedProcess start() throws Exception {
    VolumedProcess p = VolumedProcess.start(config, socket, log);
    started.add(p);
    return p;
  }

  private static String batch(String prefix, int count) {
    return batch(prefix, count, "");
  }

  private static String batch(String prefix, int count, String more) {
    StringBuilder volumes = new StringBuilder();
    for (int i = 0; i < count; i++) {
      volumes.append(i == 0 ? "" : ",").append("{\"name\":\"").append(prefix).append(i)
          .append(".img\",\"size\":\"1G\",\"fs\":\"ext4\",\"label\":\"v").append(i).append("\"").append(more).append("}");
    }
    return "{\"op\":\"batch\",\"pool\":\"default\",\"progress\":true,\"volumes\":[" + volumes + "]}";
  }

  private void allClean(Map<String, JsonNode> listed) throws Exception {
    for (String name : listed.keySet()) {
      Host.Run fsck = Host.run("e2fsck", "-fn", pool.resolve(name).toString());
      assertEquals(0, fsck.exit(), name + ": " + fsck.output());
    }
  }

  @Test
  void aKillWhileTheTemplateIsMadeOrWhileCloningLeavesNoHalfMadeImage() throws Exception {
    VolumedProcess daemon = start();
    // 1. Killed while the template's own mkfs runs (held by SIGSTOP so the kill surely falls there;
    // a 512 MiB orphan file makes that mkfs take long enough to be caught).
    try (MkfsCatcher catcher = MkfsCatcher.watch(pool); LineClient client = daemon.connect()) {
      client.send(batch("a", 20, ",\"mkfsArgs\":[\"-O\",\"orphan_file\",\"-E\",\"orphan_file_size=512M\"]"));
      long mkfs = catcher.awaitStopped(Duration.ofSeconds(60));
      assertTrue(templateTemps() > 0, "the template is being made under a temporary name");
      daemon.kill();
      Host.run("kill", "-KILL", Long.toString(mkfs));
    }
    daemon = start();
    Map<String, JsonNode> listed = Host.listAgreesWithDisk(daemon, pool, "after a kill while making the template");
    assertEquals(0, templateTemps());
    allClean(listed);
    // 2. Killed while cloning: after some volumes of a batch are done, while others are copied.
    for (int round = 0; round < 3; round++) {
      try (LineClient client = daemon.connect()) {
        client.send(batch("r" + round + "-", 200));
        for (int seen = 0; seen < 20 + 40 * round; seen++) {
          JsonNode line = client.read(Duration.ofSeconds(60));
          assertTrue(line.has("event"), line.toString());
        }
        daemon.kill();
      }
      daemon = start();
      listed = Host.listAgreesWithDisk(daemon, pool, "after a kill while cloning, round " + round);
      allClean(listed);
    }
    JsonNode done = daemon.result(batch("z", 10).replace("\"progress\":true", "\"progress\":false"));
    assertEquals(10, done.path("created").size(), done.toString());
    for (int i = 0; i < 10; i++) {
      Host.Run fsck = Host.run("e2fsck", "-fn", pool.resolve("z" + i + ".img").toString());
      assertEquals(0, fsck.exit(), fsck.output());
    }
    assertEquals(0, daemon.terminate(), daemon.describeLog());
  }

  private long templateTemps() throws Exception {
    Path folder = pool.resolve(".volumed/templates");
    if (!Files.isDirectory(folder)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(folder)) {
      return s.filter(p -> p.getFileName().toString().contains(".volumed-tmp-")).count();
    }
  }
}

package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.VolumedProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Host commands and file-tree facts for the fault tests. */
final class Host {
  private Host() {}

  static final boolean IS_ROOT = isRoot();

  /** Exit code and combined output of a command. */
  record Run(int exit, String output) {}

  static Run run(String... argv) throws IOException, InterruptedException {
    return run(List.of(argv));
  }

  static Run run(List<String> argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      return new Run(-1, out + "\n(timed out)");
    }
    return new Run(p.exitValue(), out);
  }

  /**
   * Every path under dir named as volumed names its temporary files: hidden, with ".volumed-tmp-".
   * (A volume may itself be called "a.img.volumed-tmp-0": a valid name, not a leftover.)
   */
  static List<Path> tempFiles(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(p -> {
        String name = p.getFileName().toString();
        return name.startsWith(".") && name.contains(".volumed-tmp-");
      }).toList();
    }
  }

  /**
   * What a restart or a storm must leave: no temporary file, and {@code list} of the pool exactly
   * the images on disk and exactly the metadata files. Returns the listed volumes by name.
   */
  static Map<String, JsonNode> listAgreesWithDisk(VolumedProcess daemon, Path pool, String when) throws Exception {
    // list waits for the pool to be loaded (ping does not): leftovers are removed by then.
    Map<String, JsonNode> listed = new TreeMap<>();
    for (JsonNode v : daemon.result("{\"op\":\"list\",\"pool\":\"default\"}").path("volumes")) {
      listed.put(v.path("name").asText(), v);
    }
    assertEquals(List.of(), tempFiles(pool), "temporary files " + when + "; " + daemon.describeLog());
    assertEquals(imagesOnDisk(pool), List.copyOf(listed.keySet()), "list vs images on disk " + when);
    Path meta = pool.resolve(".volumed/meta");
    List<String> metadata;
    try (Stream<Path> walk = Files.walk(meta)) {
      metadata = walk.filter(Files::isRegularFile).map(p -> meta.relativize(p).toString()).sorted().toList();
    }
    assertEquals(listed.keySet().stream().map(n -> n + ".json").sorted().toList(), metadata,
        "metadata files vs listed volumes " + when);
    return listed;
  }

  /** Regular files under pool (outside its hidden .volumed folder), as names relative to pool. */
  static List<String> imagesOnDisk(Path pool) throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(pool)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String rel = pool.relativize(p).toString();
        if (!rel.startsWith(".volumed/")) {
          names.add(rel);
        }
      }
    }
    names.sort(null);
    return names;
  }

  /** Every path under dir (files and folders) with its size, for before/after comparisons. */
  static List<String> tree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.map(p -> {
        try {
          return dir.relativize(p) + (Files.isRegularFile(p) ? " " + Files.size(p) : "/");
        } catch (IOException e) {
          return dir.relativize(p) + " ?";
        }
      }).sorted().toList();
    }
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** Unmounts a test's mount point if it is one (lazily if it is busy, and then fails the test). */
  static void unmountIfMounted(Path mnt) throws Exception {
    if (mnt != null && run("mountpoint", "-q", mnt.toString()).exit() == 0) {
      Run umount = run("umount", mnt.toString());
      if (umount.exit() != 0) {
        run("umount", "-l", mnt.toString());
        throw new AssertionError("umount " + mnt + " failed: " + umount.output());
      }
    }
  }
}

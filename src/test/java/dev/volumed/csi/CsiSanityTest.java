package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.CsiSanity;
import dev.volumed.testing.VolumedProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CSI project's own conformance suite, csi-sanity (kubernetes-csi/csi-test v5.2.0), whole,
 * against a real volumed serving CSI on a temporary pool, once with mount volumes and once with
 * block volumes. As root its node tests attach real loop devices and mount real file systems.
 * Nothing may fail, and every skip must be one the suite makes for a capability volumed does not
 * claim: a new kind of skip fails here until it is explained (and listed in the README).
 */
class CsiSanityTest {
  /** Each skip the suite makes, by its reason; the comment names the capability volumed does not claim. */
  private static final Set<String> EXPLAINED = Set.of(
      "ControllerPublishVolume not supported",          // PUBLISH_UNPUBLISH_VOLUME: nothing to attach
      "ControllerUnpublishVolume not supported",
      "Controller Publish, UnpublishVolume not supported",
      "CreateSnapshot not supported",                   // CREATE_DELETE_SNAPSHOT
      "DeleteSnapshot not supported",
      "ListSnapshots not supported",                    // LIST_SNAPSHOTS
      "Snapshot not supported",
      "Volume Cloning not supported",                   // CLONE_VOLUME
      "GroupControllerService not supported");          // the GroupController service is not served

  @TempDir
  Path dir;

  @ParameterizedTest(name = "access type {0}")
  @ValueSource(strings = {"mount", "block"})
  void theWholeSuitePassesWithOnlyExplainedSkips(String accessType) throws Exception {
    Path binary = CsiSanity.binary().orElse(null);
    Assumptions.assumeTrue(binary != null, "csi-sanity is not on this machine (set CSI_SANITY to its path)");
    Assumptions.assumeTrue(isRoot(), "the suite's node tests attach loop devices and mount: they need root");
    Path pool = Files.createDirectories(dir.resolve("pool"));
    Path socket = dir.resolve("volumed.sock");
    Path endpoint = dir.resolve("csi.sock");
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, "volumed {\n  socket.path = \"" + socket + "\"\n  pools { default { path = \"" + pool
        + "\" } }\n  csi { endpoint = \"unix://" + endpoint + "\", state-dir = \"" + dir.resolve("csi-state")
        + "\" }\n}\n");
    try (VolumedProcess volumed = VolumedProcess.start(config, socket, dir.resolve("volumed.log"))) {
      CsiSanity.Run run = CsiSanity.run(binary, endpoint, dir, 20, "-csi.testvolumeaccesstype", accessType);
      assertEquals(0, run.failed(), run.describe());
      assertEquals(0, run.exitCode(), run.describe());
      assertTrue(run.passed() >= 48, "fewer specs ran than volumed's capabilities ask for: " + run.describe());
      Map<String, Long> reasons = new TreeMap<>();
      run.skipReasons().forEach(reason -> reasons.merge(reason, 1L, Long::sum));
      assertEquals(run.skipped(), run.skipReasons().size(), "a skip without a reason: " + reasons);
      List<String> unexplained = reasons.keySet().stream().filter(reason -> !EXPLAINED.contains(reason)).toList();
      assertEquals(List.of(), unexplained, "skips not explained by a capability volumed does not claim: " + reasons);
      System.out.println("csi-sanity, " + accessType + ": " + run.passed() + " passed, 0 failed, " + run.skipped()
          + " skipped " + reasons);
    }
    assertNothingLeftBehind(pool);
  }

  /** Every volume the suite made it deleted, and every loop device and mount volumed made is gone. */
  private void assertNothingLeftBehind(Path pool) throws Exception {
    try (Stream<Path> images = Files.list(pool)) {
      assertEquals(List.of(), images.filter(p -> !p.getFileName().toString().startsWith(".")).toList());
    }
    String mounts = Files.readString(Path.of("/proc/self/mountinfo"));
    assertTrue(mounts.lines().noneMatch(line -> line.contains(dir.toString())), mounts);
    Process losetup = new ProcessBuilder("losetup", "--list", "--noheadings", "--output", "BACK-FILE")
        .redirectErrorStream(true).start();
    String backing = new String(losetup.getInputStream().readAllBytes());
    losetup.waitFor();
    assertTrue(backing.lines().noneMatch(line -> line.contains(pool.toString())), backing);
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}

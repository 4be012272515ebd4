package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.testing.CsiClient;
import dev.volumed.testing.Guest;
import dev.volumed.testing.HostMounts;
import dev.volumed.testing.Tools;
import dev.volumed.testing.VolumedProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * volumed killed (SIGKILL) in the middle of NodeStageVolume, and started again: the start-up pass
 * leaves no stray mount or loop device of the half-made stage, and keeps a completed stage and
 * publish that a pod would be using. The kill comes while a stand-in for mount(8), first on
 * volumed's PATH, hangs: after the real mount (made, not yet noted as done) or before it (the loop
 * device attached, nothing mounted).
 */
class NodeCrashTest {
  private static final VolumeCapability.Builder WRITER = NodeServiceTest.mode(
      VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER);

  @TempDir
  Path dir;

  private Process first;

  @BeforeEach
  void assumeRoot() {
    Guest.assumeRoot();
    Tools.assumeInstalled("mkfs.ext4", "setpriv", "mount");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (first != null) {
      first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    HostMounts.cleanUp(dir.resolve("node"), dir.resolve("pool"));
  }

  @Test
  void aKillAfterTheMountLeavesNothingOfTheHalfMadeStageAndKeepsTheCompletedOne() throws Exception {
    killDuringStageAndRestart("after");
  }

  @Test
  void aKillBetweenTheLoopAttachAndTheMountLeavesNoLoopDevice() throws Exception {
    killDuringStageAndRestart("before");
  }

  private void killDuringStageAndRestart(String when) throws Exception {
    Path config = NodeDaemons.config(dir);
    Path bin = standInMount();
    Path log = dir.resolve("volumed.log");
    ProcessBuilder builder = VolumedProcess.command(config).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    first = builder.start();
    VolumedProcess.pingWhenUp(dir.resolve("volumed.sock"), first, log);
    Path kept = dir.resolve("node/kept/stage");
    Path keptTarget = dir.resolve("node/kept/target");
    Path half = dir.resolve("node/half/stage");
    Files.createDirectories(kept);
    Files.createDirectories(half);
    Path keptImage = dir.resolve("pool/kept.img");
    Path halfImage = dir.resolve("pool/half.img");
    try (CsiClient csi = CsiClient.connect(dir.resolve("csi.sock"), first.pid())) {
      request("{\"op\":\"create\",\"name\":\"kept.img\",\"size\":\"32M\",\"fs\":\"ext4\"}");
      request("{\"op\":\"create\",\"name\":\"half.img\",\"size\":\"32M\",\"fs\":\"ext4\"}");
      csi.node().nodeStageVolume(NodeServiceTest.stage("kept.img", kept, NodeServiceTest.mount(""), WRITER));
      csi.node().nodePublishVolume(NodeServiceTest.publish("kept.img", kept, keptTarget, NodeServiceTest.mount(""),
          false));
      Files.writeString(keptTarget.resolve("data"), "a running pod's data");

      Files.createFile(bin.resolve("hang-" + when));
      CompletableFuture<?> stage = CompletableFuture.runAsync(() -> csi.node().nodeStageVolume(
          NodeServiceTest.stage("half.img", half, NodeServiceTest.mount(""), WRITER)));
      awaitFile(bin.resolve("hanging"));
      assertEquals(1, HostMounts.loopsOf(halfImage).size(), "the loop device is attached when volumed is killed");
      assertEquals(when.equals("after") ? List.of(half) : List.of(), HostMounts.under(half));
      first.destroyForcibly();
      assertTrue(first.waitFor(30, TimeUnit.SECONDS), "volumed still alive 30 s after SIGKILL");
      stage.handle((ok, failure) -> null).get(60, TimeUnit.SECONDS);
    }

    try (VolumedProcess second = VolumedProcess.start(config, dir.resolve("volumed.sock"), log);
        CsiClient csi = CsiClient.connect(dir.resolve("csi.sock"), second.pid())) {
      // Node calls wait for the start-up pass: once one is answered, the pass is over.
      csi.node().nodeUnpublishVolume(NodeServiceTest.unpublish("half.img", dir.resolve("node/nothing-here")));
      assertEquals(List.of(), HostMounts.under(half), "no stray mount; " + second.describeLog());
      assertEquals(List.of(), HostMounts.loopsOf(halfImage), "no stray loop device; " + second.describeLog());
      assertEquals(List.of(kept), HostMounts.under(kept), "the completed stage is kept");
      assertEquals(List.of(keptTarget), HostMounts.under(keptTarget), "the completed publish is kept");
      assertEquals("a running pod's data", Files.readString(keptTarget.resolve("data")));
      assertEquals(1, HostMounts.loopsOf(keptImage).size());
      try (var notes = Files.list(dir.resolve("state"))) {
        assertEquals(2, notes.count(), "the notes of the kept stage and publish, no other");
      }
      assertTrue(Files.readString(log).contains("undid the half-made stage of default/half.img"), second.describeLog());

      // The half-made volume stages cleanly now, and the kept one comes apart as if volumed had never stopped.
      csi.node().nodeStageVolume(NodeServiceTest.stage("half.img", half, NodeServiceTest.mount(""), WRITER));
      csi.node().nodeUnstageVolume(NodeServiceTest.unstage("half.img", half));
      csi.node().nodeUnpublishVolume(NodeServiceTest.unpublish("kept.img", keptTarget));
      csi.node().nodeUnstageVolume(NodeServiceTest.unstage("kept.img", kept));
      assertEquals(List.of(), HostMounts.under(dir.resolve("node")));
      assertEquals(List.of(), HostMounts.loopsOf(keptImage));
      assertEquals(List.of(), HostMounts.loopsOf(halfImage));
    }
  }

  private void request(String json) throws Exception {
    try (var client = dev.volumed.testing.LineClient.connect(dir.resolve("volumed.sock"))) {
      assertTrue(client.request(json).path("ok").asBoolean(), json);
    }
  }

  /**
   * A mount(8) that runs the real one, unless a flag file says to hang: "hang-before" hangs before
   * mounting, "hang-after" after; either way it first leaves the file "hanging" for the test to see.
   */
  private Path standInMount() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    String real = Optional.of(Path.of("/usr/bin/mount")).filter(Files::isExecutable).orElse(Path.of("/bin/mount"))
        .toString();
    Path script = bin.resolve("mount");
    Files.writeString(script, "#!/bin/sh\n"
        + "if [ -e " + bin + "/hang-before ]; then touch " + bin + "/hanging; exec sleep 600; fi\n"
        + real + " \"$@\" || exit $?\n"
        + "if [ -e " + bin + "/hang-after ]; then touch " + bin + "/hanging; exec sleep 600; fi\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  private static void awaitFile(Path file) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(file)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(file + " did not appear: the stand-in mount never ran");
      }
      Thread.sleep(20); // the stand-in is another process: there is nothing to await on
    }
  }
}

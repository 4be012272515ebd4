package dev.volumed.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.Guest;
import dev.volumed.testing.HostMounts;
import dev.volumed.testing.Tools;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host work on its own, as root, on ext4 images made here: growth of a staged volume, and the
 * start-up pass over notes whose mounts or loop devices someone took away by hand.
 */
class NodeHostTest {
  @TempDir
  Path dir;

  private NodeHost node;
  private Path image;
  private Path staging;
  private Path target;

  @BeforeEach
  void image() throws Exception {
    Guest.assumeRoot();
    Tools.assumeInstalled("mkfs.ext4", "resize2fs", "setpriv", "mount");
    image = Files.createDirectories(dir.resolve("pool")).resolve("vol.img");
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(32L << 20);
    }
    assertEquals(0, Guest.run("mkfs.ext4", "-q", "-F", image.toString()).exit());
    staging = Files.createDirectories(dir.resolve("node/stage"));
    target = dir.resolve("node/target");
    node = NodeHost.at(dir.resolve("state"));
    node.host().notes().open();
  }

  @AfterEach
  void cleanUp() throws Exception {
    HostMounts.cleanUp(dir.resolve("node"), dir.resolve("pool"));
  }

  private void stageAndPublish() throws Exception {
    assertTrue(node.stage("default/vol.img", image, staging, false, false, "ext4", List.of()), "this call staged it");
    assertFalse(node.stage("default/vol.img", image, staging, false, false, "ext4", List.of()),
        "asked again: it was staged already, and so it stays");
    node.publish("default/vol.img", staging, target, false, false);
  }

  @Test
  void expandGrowsTheMountedFileSystemToTheGrownImage() throws Exception {
    stageAndPublish();
    long before = node.usage("default/vol.img", target).totalBytes();
    assertEquals(32L << 20, node.expand("default/vol.img", target), "nothing to do is no error");
    // EXT4_IOC_RESIZE_FS needs CAP_SYS_RESOURCE, which some containers drop even for root.
    Assumptions.assumeTrue(capable(24), "growing a mounted ext4 needs CAP_SYS_RESOURCE, which this root lacks");
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(64L << 20);
    }
    assertEquals(64L << 20, node.expand("default/vol.img", target));
    long after = node.usage("default/vol.img", target).totalBytes();
    assertTrue(after > before + (24L << 20), before + " -> " + after);
  }

  @Test
  void expandGrowsAMountedXfsWithXfsGrowfs() throws Exception {
    Tools.assumeInstalled("mkfs.xfs", "xfs_growfs");
    Path xfs = dir.resolve("pool/xfs.img");
    try (RandomAccessFile file = new RandomAccessFile(xfs.toFile(), "rw")) {
      file.setLength(320L << 20);
    }
    assertEquals(0, Guest.run("mkfs.xfs", "-q", "-f", xfs.toString()).exit());
    node.stage("default/xfs.img", xfs, staging, false, false, "xfs", List.of());
    long before = node.usage("default/xfs.img", staging).totalBytes();
    try (RandomAccessFile file = new RandomAccessFile(xfs.toFile(), "rw")) {
      file.setLength(480L << 20);
    }
    assertEquals(480L << 20, node.expand("default/xfs.img", staging));
    long after = node.usage("default/xfs.img", staging).totalBytes();
    assertTrue(after > before + (120L << 20), before + " -> " + after);
    node.unstage("default/xfs.img", staging);
    assertEquals(List.of(), HostMounts.loopsOf(xfs));
  }

  /** Whether this process has the capability (its bit in CapEff). */
  private static boolean capable(int bit) throws Exception {
    String eff = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapEff:"))
        .findFirst().orElseThrow().substring(7).strip();
    return (Long.parseUnsignedLong(eff, 16) & (1L << bit)) != 0;
  }

  @Test
  void aCompletedStageAndPublishAreKeptAcrossTheStartUpPass() throws Exception {
    stageAndPublish();
    List<String> done = Recovery.run(NodeHost.at(dir.resolve("state")));
    assertEquals(2, done.stream().filter(l -> l.startsWith("kept")).count(), done::toString);
    assertEquals(List.of(staging, target), HostMounts.under(dir.resolve("node")));
  }

  @Test
  void aPublishCutShortAfterItsBindIsUnmountedAndItsTargetRemovedWhileTheStageIsKept() throws Exception {
    node.stage("default/vol.img", image, staging, false, false, "ext4", List.of());
    Note stage = node.host().notes().at(Note.Kind.STAGE, staging).orElseThrow();
    Files.createDirectories(target);
    node.host().notes().write(stage.publishedAt(target, false)); // the intent, as publish writes it
    assertEquals(0, Guest.run("mount", "--bind", staging.toString(), target.toString()).exit());
    List<String> done = Recovery.run(NodeHost.at(dir.resolve("state")));
    assertTrue(done.contains("undid the half-made publish of default/vol.img at " + target), done::toString);
    assertEquals(List.of(staging), HostMounts.under(dir.resolve("node")));
    assertTrue(Files.notExists(target), "the target made for the publish is removed");
    assertEquals(List.of(stage), node.host().notes().all());
  }

  @Test
  void notesWhoseMountOrLoopDeviceWasTakenAwayByHandAreDroppedAndWhatIsLeftIsUndone() throws Exception {
    stageAndPublish();
    assertEquals(0, Guest.run("umount", target.toString()).exit());
    assertEquals(0, Guest.run("umount", staging.toString()).exit());
    List<String> done = Recovery.run(NodeHost.at(dir.resolve("state")));
    assertTrue(done.stream().anyMatch(l -> l.startsWith("dropped the note of the publish")), done::toString);
    assertTrue(done.stream().anyMatch(l -> l.startsWith("undid the broken stage")), done::toString);
    assertEquals(List.of(), HostMounts.loopsOf(image), "the loop device left without its mount is detached");
    assertEquals(List.of(), node.host().notes().all());

    node.stage("default/vol.img", image, staging, true, false, "", List.of());
    String loop = HostMounts.loopsOf(image).get(0);
    assertEquals(0, Guest.run("losetup", "-d", loop).exit());
    done = Recovery.run(NodeHost.at(dir.resolve("state")));
    assertTrue(done.stream().anyMatch(l -> l.contains("its loop device is gone")), done::toString);
    assertEquals(List.of(), node.host().notes().all());
  }

  @Test
  void aStageAfterANoteWhoseDeviceNumberWasReusedLeavesTheOtherImageAlone() throws Exception {
    node.stage("default/vol.img", image, staging, true, false, "", List.of());
    String loop = HostMounts.loopsOf(image).get(0);
    assertEquals(0, Guest.run("losetup", "-d", loop).exit());
    Path other = dir.resolve("pool/other.img");
    try (RandomAccessFile file = new RandomAccessFile(other.toFile(), "rw")) {
      file.setLength(8L << 20);
    }
    assertEquals(0, Guest.run("losetup", loop, other.toString()).exit(), "someone else's image on the same device");
    Recovery.run(NodeHost.at(dir.resolve("state")));
    assertEquals(List.of(loop), HostMounts.loopsOf(other), "a device backed by another file is not volumed's");
    assertEquals(List.of(), node.host().notes().all());
  }
}

package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.csi.v1.NodeGetVolumeStatsRequest;
import dev.volumed.csi.v1.NodeGetVolumeStatsResponse;
import dev.volumed.csi.v1.NodePublishVolumeRequest;
import dev.volumed.csi.v1.NodeStageVolumeRequest;
import dev.volumed.csi.v1.NodeUnpublishVolumeRequest;
import dev.volumed.csi.v1.NodeUnstageVolumeRequest;
import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.csi.v1.VolumeUsage;
import dev.volumed.testing.CsiClient;
import dev.volumed.testing.Guest;
import dev.volumed.testing.HostMounts;
import dev.volumed.testing.Tools;
import dev.volumed.testing.VolumedProcess;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CSI node service of a real volumed, as root: real loop devices, real mounts, a real gRPC client. */
class NodeServiceTest {
  @TempDir
  static Path dir;

  private static VolumedProcess volumed;
  private static CsiClient csi;
  private static final AtomicInteger serial = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    Guest.assumeRoot();
    Tools.assumeInstalled("mkfs.ext4", "setpriv", "mount");
    Path config = NodeDaemons.config(dir);
    volumed = VolumedProcess.start(config, dir.resolve("volumed.sock"), dir.resolve("volumed.log"));
    csi = CsiClient.connect(dir.resolve("csi.sock"), volumed.pid());
  }

  @AfterEach
  void cleanUp() throws Exception {
    HostMounts.cleanUp(dir.resolve("node"), dir.resolve("pool"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (csi != null) {
      csi.close();
    }
    if (volumed != null) {
      volumed.close();
    }
  }

  @Test
  void stagesPublishesAndUndoesAMountVolume() throws Exception {
    String name = fresh("ext4", "32M");
    Path image = dir.resolve("pool").resolve(name);
    Path staging = Files.createDirectories(dir.resolve("node/" + name + "/stage"));
    Path target = dir.resolve("node/" + name + "/mnt/target");
    Files.createDirectories(target.getParent());

    csi.node().nodeStageVolume(stage(name, staging, mount(""), mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)));
    csi.node().nodeStageVolume(stage(name, staging, mount("ext4"), mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)));
    assertEquals(List.of(staging), HostMounts.under(staging));
    assertEquals(1, HostMounts.loopsOf(image).size());

    csi.node().nodePublishVolume(publish(name, staging, target, mount(""), false));
    csi.node().nodePublishVolume(publish(name, staging, target, mount(""), false));
    assertEquals(List.of(target), HostMounts.under(target));
    Files.writeString(target.resolve("hello.txt"), "hello", StandardCharsets.UTF_8);
    assertEquals("hello", Files.readString(staging.resolve("hello.txt")));

    NodeGetVolumeStatsResponse stats = csi.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
        .setVolumeId("default/" + name).setVolumePath(target.toString()).build());
    VolumeUsage bytes = stats.getUsageList().stream().filter(u -> u.getUnit() == VolumeUsage.Unit.BYTES).findFirst()
        .orElseThrow();
    VolumeUsage inodes = stats.getUsageList().stream().filter(u -> u.getUnit() == VolumeUsage.Unit.INODES)
        .findFirst().orElseThrow();
    assertTrue(bytes.getTotal() > 16L << 20 && bytes.getTotal() <= 32L << 20, stats.toString());
    assertTrue(bytes.getUsed() > 0 && bytes.getAvailable() > 0, stats.toString());
    assertTrue(inodes.getTotal() > 0 && inodes.getUsed() >= 12 && inodes.getAvailable() > 0, stats.toString());
    assertEquals(Status.Code.NOT_FOUND, code(() -> csi.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
        .setVolumeId("default/" + name).setVolumePath(dir.resolve("elsewhere").toString()).build())));

    JsonNode delete = volumed.request("{\"op\":\"delete\",\"name\":\"" + name + "\"}");
    assertEquals("BUSY", delete.path("error").path("code").asText(), delete.toString());
    assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> csi.node().nodeUnstageVolume(unstage(name, staging))));

    csi.node().nodeUnpublishVolume(unpublish(name, target));
    assertFalse(Files.exists(target), "CSI: the target path is removed at unpublish");
    csi.node().nodeUnpublishVolume(unpublish(name, target));
    csi.node().nodeUnstageVolume(unstage(name, staging));
    csi.node().nodeUnstageVolume(unstage(name, staging));
    assertEquals(List.of(), HostMounts.under(dir.resolve("node/" + name)));
    assertEquals(List.of(), HostMounts.loopsOf(image));
    assertTrue(volumed.request("{\"op\":\"delete\",\"name\":\"" + name + "\"}").path("ok").asBoolean());
  }

  @Test
  void stagesAndPublishesABlockVolumeAsItsDevice() throws Exception {
    String name = fresh("none", "8M");
    Path image = dir.resolve("pool").resolve(name);
    Path staging = Files.createDirectories(dir.resolve("node/" + name + "/stage"));
    Path target = dir.resolve("node/" + name + "/dev/target");
    Files.createDirectories(target.getParent());
    VolumeCapability.Builder block = VolumeCapability.newBuilder()
        .setBlock(VolumeCapability.BlockVolume.getDefaultInstance());

    csi.node().nodeStageVolume(stage(name, staging, block, mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)));
    csi.node().nodeStageVolume(stage(name, staging, block, mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)));
    assertEquals(List.of(), HostMounts.under(staging), "a block stage mounts nothing");
    assertEquals(1, HostMounts.loopsOf(image).size());

    csi.node().nodePublishVolume(publish(name, staging, target, block, false));
    assertEquals(List.of(target), HostMounts.under(target));
    byte[] written = "written through the published device".getBytes(StandardCharsets.US_ASCII);
    try (RandomAccessFile device = new RandomAccessFile(target.toFile(), "rw")) {
      device.seek(4096);
      device.write(written);
      device.getFD().sync();
    }
    Guest.run("blockdev", "--flushbufs", HostMounts.loopsOf(image).get(0));
    byte[] read = new byte[written.length];
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "r")) {
      file.seek(4096);
      file.readFully(read);
    }
    assertArrayEquals(written, read);
    NodeGetVolumeStatsResponse stats = csi.node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
        .setVolumeId("default/" + name).setVolumePath(target.toString()).build());
    assertEquals(8L << 20, stats.getUsage(0).getTotal(), stats.toString());

    // Read-only beside it: a read-only loop device of its own, since a read-only bind of a device file stops no write.
    Path readOnly = dir.resolve("node/" + name + "/dev/ro");
    csi.node().nodePublishVolume(publish(name, staging, readOnly, block, true));
    csi.node().nodePublishVolume(publish(name, staging, readOnly, block, true));
    List<String> loops = HostMounts.loopsOf(image);
    assertEquals(2, loops.size(), loops::toString);
    assertEquals(1, loops.stream().filter(l -> readOnlyDevice(l)).count(), loops::toString);
    assertThrows(IOException.class, () -> {
      try (RandomAccessFile device = new RandomAccessFile(readOnly.toFile(), "rw")) {
        device.write(written);
      }
    });
    // The image grown behind the loop devices (as a resize would while nothing held it): both see the new size.
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(16L << 20);
    }
    assertEquals(16L << 20, csi.node().nodeExpandVolume(dev.volumed.csi.v1.NodeExpandVolumeRequest.newBuilder()
        .setVolumeId("default/" + name).setVolumePath(target.toString()).build()).getCapacityBytes());
    for (String loop : HostMounts.loopsOf(image)) {
      assertEquals(String.valueOf((16L << 20) / 512), Files.readString(Path.of("/sys/block",
          Path.of(loop).getFileName().toString(), "size")).strip(), loop);
    }
    csi.node().nodeUnpublishVolume(unpublish(name, readOnly));
    assertEquals(1, HostMounts.loopsOf(image).size(), "the read-only publish's own device is detached with it");

    csi.node().nodeUnpublishVolume(unpublish(name, target));
    assertFalse(Files.exists(target));
    csi.node().nodeUnstageVolume(unstage(name, staging));
    assertEquals(List.of(), HostMounts.loopsOf(image));
  }

  private static boolean readOnlyDevice(String loop) {
    try {
      return Files.readString(Path.of("/sys/block", Path.of(loop).getFileName().toString(), "ro")).strip().equals("1");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aReadOnlyPublishRefusesWritesAndAReaderModeAttachesReadOnly() throws Exception {
    String name = fresh("ext4", "32M");
    Path image = dir.resolve("pool").resolve(name);
    Path staging = Files.createDirectories(dir.resolve("node/" + name + "/stage"));
    Path target = dir.resolve("node/" + name + "/ro");
    csi.node().nodeStageVolume(stage(name, staging, mount(""), mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)));
    csi.node().nodePublishVolume(publish(name, staging, target, mount(""), true));
    assertThrows(IOException.class, () -> Files.writeString(target.resolve("x"), "x"));
    Files.writeString(staging.resolve("x"), "the staging mount stays writable");
    csi.node().nodeUnpublishVolume(unpublish(name, target));
    csi.node().nodeUnstageVolume(unstage(name, staging));

    csi.node().nodeStageVolume(stage(name, staging, mount(""),
        mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_READER_ONLY)));
    String loop = HostMounts.loopsOf(image).get(0);
    assertEquals("1", Files.readString(Path.of("/sys/block", Path.of(loop).getFileName().toString(), "ro")).strip());
    assertThrows(IOException.class, () -> Files.writeString(staging.resolve("y"), "y"));
    csi.node().nodeUnstageVolume(unstage(name, staging));
    assertEquals(List.of(), HostMounts.loopsOf(image));
  }

  @Test
  void refusesWhatItCannotServeWithCsiCodes() throws Exception {
    String raw = fresh("none", "8M");
    Path staging = Files.createDirectories(dir.resolve("node/" + raw + "/stage"));
    VolumeCapability.Builder writer = mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER);
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        NodeStageVolumeRequest.newBuilder().setStagingTargetPath(staging.toString()).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        NodeStageVolumeRequest.newBuilder().setVolumeId("default/" + raw).setStagingTargetPath(staging.toString())
            .build())));
    assertEquals(Status.Code.NOT_FOUND, code(() -> csi.node().nodeStageVolume(
        stage("no-such-volume.img", staging, mount(""), writer))));
    assertEquals(Status.Code.NOT_FOUND, code(() -> csi.node().nodeStageVolume(
        stage(raw, staging, mount(""), writer).toBuilder().setVolumeId("nopool/" + raw).build())));
    assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> csi.node().nodeStageVolume(
        stage(raw, staging, mount(""), writer))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        stage(raw, staging, mount(""), mode(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER)))));
    assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> csi.node().nodePublishVolume(
        publish(raw, staging, dir.resolve("node/" + raw + "/t"), mount(""), false))));
    String ext4 = fresh("ext4", "32M");
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        stage(ext4, staging, mount("xfs"), writer))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        stage(ext4, dir.resolve("pool/over-the-images"), mount(""), writer))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        stage(ext4, dir.resolve("state"), mount(""), writer))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        stage(ext4, staging, mountWith("bind"), writer))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        stage(ext4, staging, mountWith("noatime,remount"), writer))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> csi.node().nodeStageVolume(
        stage(ext4, Path.of("relative/stage"), mount(""), writer))));
    assertEquals(List.of(), HostMounts.under(dir.resolve("node/" + raw)));
    assertEquals(List.of(), HostMounts.under(dir.resolve("pool")));
    assertEquals(List.of(), HostMounts.loopsOf(dir.resolve("pool").resolve(ext4)));
    try (var notes = Files.list(dir.resolve("state"))) {
      assertEquals(0, notes.filter(f -> f.toString().contains(ext4)).count());
    }
  }

  @Test
  void stagesWithTheMountFlagsAndAnswersAStageAtAnotherPathOrInAnotherWay() throws Exception {
    String name = fresh("ext4", "32M");
    Path staging = Files.createDirectories(dir.resolve("node/" + name + "/stage"));
    Path other = Files.createDirectories(dir.resolve("node/" + name + "/other"));
    VolumeCapability.Builder writer = mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER);
    csi.node().nodeStageVolume(stage(name, staging, mountWith("noatime"), writer));
    String options = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
        .filter(l -> l.split(" ")[4].equals(staging.toString())).findFirst().orElseThrow().split(" ")[5];
    assertTrue(options.contains("noatime"), options);
    assertEquals(Status.Code.FAILED_PRECONDITION, code(() -> csi.node().nodeStageVolume(
        stage(name, other, mount(""), writer))));
    assertEquals(Status.Code.ALREADY_EXISTS, code(() -> csi.node().nodeStageVolume(
        stage(name, staging, mount(""), mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_READER_ONLY)))));
    assertEquals(Status.Code.ALREADY_EXISTS, code(() -> csi.node().nodeStageVolume(stage(name, staging,
        VolumeCapability.newBuilder().setBlock(VolumeCapability.BlockVolume.getDefaultInstance()), writer))));
    assertEquals(Status.Code.ALREADY_EXISTS, code(() -> csi.node().nodeStageVolume(
        stage(name, staging, mountWith("sync"), writer))), "other mount flags: not the stage that is there");
    csi.node().nodeStageVolume(stage(name, staging, mountWith("noatime"), writer));
    csi.node().nodeUnstageVolume(unstage(name, staging));
    assertEquals(List.of(), HostMounts.under(dir.resolve("node/" + name)));
  }

  @Test
  void eightVolumesStagedAtOnceEachGetALoopDeviceOfTheirOwn() throws Exception {
    List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      names.add(fresh("ext4", "32M"));
    }
    VolumeCapability.Builder writer = mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER);
    List<java.util.concurrent.CompletableFuture<?>> stages = new java.util.ArrayList<>();
    for (String name : names) {
      Path staging = Files.createDirectories(dir.resolve("node/" + name + "/stage"));
      stages.add(java.util.concurrent.CompletableFuture.runAsync(() -> csi.node().nodeStageVolume(
          stage(name, staging, mount(""), writer))));
    }
    for (java.util.concurrent.CompletableFuture<?> stage : stages) {
      stage.get(2, java.util.concurrent.TimeUnit.MINUTES);
    }
    java.util.Set<String> devices = new java.util.HashSet<>();
    for (String name : names) {
      List<String> loops = HostMounts.loopsOf(dir.resolve("pool").resolve(name));
      assertEquals(1, loops.size(), name + ": " + loops);
      devices.add(loops.get(0));
      assertEquals(List.of(dir.resolve("node/" + name + "/stage")), HostMounts.under(dir.resolve("node/" + name)));
    }
    assertEquals(8, devices.size(), devices::toString);
    for (String name : names) {
      csi.node().nodeUnstageVolume(unstage(name, dir.resolve("node/" + name + "/stage")));
      assertEquals(List.of(), HostMounts.loopsOf(dir.resolve("pool").resolve(name)));
    }
  }

  private static String fresh(String fs, String size) throws Exception {
    String name = "node" + serial.incrementAndGet() + ".img";
    volumed.result("{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"" + size + "\",\"fs\":\"" + fs + "\"}");
    return name;
  }

  static VolumeCapability.Builder mount(String fs) {
    return VolumeCapability.newBuilder().setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fs));
  }

  static VolumeCapability.Builder mountWith(String flag) {
    return VolumeCapability.newBuilder().setMount(VolumeCapability.MountVolume.newBuilder().addMountFlags(flag));
  }

  static VolumeCapability.Builder mode(VolumeCapability.AccessMode.Mode mode) {
    return mount("").setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode));
  }

  static NodeStageVolumeRequest stage(String name, Path staging, VolumeCapability.Builder access,
      VolumeCapability.Builder mode) {
    return NodeStageVolumeRequest.newBuilder().setVolumeId("default/" + name).setStagingTargetPath(staging.toString())
        .setVolumeCapability(access.clone().setAccessMode(mode.getAccessMode())).build();
  }

  static NodePublishVolumeRequest publish(String name, Path staging, Path target, VolumeCapability.Builder access,
      boolean readOnly) {
    return NodePublishVolumeRequest.newBuilder().setVolumeId("default/" + name)
        .setStagingTargetPath(staging.toString()).setTargetPath(target.toString()).setReadonly(readOnly)
        .setVolumeCapability(access.clone().setAccessMode(VolumeCapability.AccessMode.newBuilder()
            .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))).build();
  }

  static NodeUnpublishVolumeRequest unpublish(String name, Path target) {
    return NodeUnpublishVolumeRequest.newBuilder().setVolumeId("default/" + name).setTargetPath(target.toString())
        .build();
  }

  static NodeUnstageVolumeRequest unstage(String name, Path staging) {
    return NodeUnstageVolumeRequest.newBuilder().setVolumeId("default/" + name)
        .setStagingTargetPath(staging.toString()).build();
  }

  static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }
}

package dev.volumed.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.Holder;
import dev.volumed.model.VolumeException;
import dev.volumed.testing.HeldOpen;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HoldersTest {
  @TempDir Path pool;
  private Path image;

  @BeforeEach
  void makeImage() throws Exception {
    Files.createDirectories(pool.resolve("vm1"));
    image = pool.resolve("vm1/root.img");
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(1 << 20);
    }
  }

  @Test
  void anImageNobodyHoldsHasNoHoldersAndVolumedsOwnDescriptorsDoNotCount() throws Exception {
    try (RandomAccessFile ours = new RandomAccessFile(image.toFile(), "r")) {
      assertEquals(List.of(), Holders.of(pool, "vm1/root.img"));
      Holders.refuseIfHeld(pool, "vm1/root.img", "default", "delete");
    }
    assertEquals(List.of(), Holders.of(pool, "vm1/missing.img"), "nothing there: nothing holds it");
  }

  @Test
  void aProcessWithAnOpenDescriptorHoldsItByInodeWhateverItsNameIsNow() throws Exception {
    try (HeldOpen held = HeldOpen.descriptor(image)) {
      List<Holder> holders = Holders.of(pool, "vm1/root.img");
      assertEquals(List.of(new Holder.Process(held.pid(), "python3")), holders);
      // Renamed: the same inode under another name is still held; the new file at the old name is not.
      Files.move(image, pool.resolve("vm1/moved.img"));
      assertEquals(holders, Holders.of(pool, "vm1/moved.img"));
      Files.write(image, new byte[4096]);
      assertEquals(List.of(), Holders.of(pool, "vm1/root.img"));
    }
  }

  @Test
  void aMappingWithoutADescriptorHoldsIt() throws Exception {
    try (HeldOpen held = HeldOpen.mapping(image)) {
      assertEquals(List.of(new Holder.Process(held.pid(), "python3")), Holders.of(pool, "vm1/root.img"));
    }
    assertEquals(List.of(), Holders.of(pool, "vm1/root.img"), "the process ended: nothing holds it");
  }

  @Test
  void aLoopDeviceBackedByTheImageHoldsIt() throws Exception {
    Assumptions.assumeTrue(isRoot(), "needs root to attach a loop device");
    try (HeldOpen loop = HeldOpen.loopDevice(image)) {
      assertEquals(List.of(new Holder.LoopDevice(loop.device())), Holders.of(pool, "vm1/root.img"));
      VolumeException busy = assertThrows(VolumeException.class,
          () -> Holders.refuseIfHeld(pool, "vm1/root.img", "default", "delete"));
      assertEquals(ErrorCode.BUSY, busy.code());
      assertEquals(true, busy.getMessage().contains("loop device " + loop.device()), busy.getMessage());
      assertEquals(List.of(Map.of("device", loop.device())), busy.details().get("holders"));
    }
    assertEquals(List.of(), Holders.of(pool, "vm1/root.img"));
  }

  @Test
  void theRefusalNamesEachProcessAndListsItInDetails() throws Exception {
    try (HeldOpen held = HeldOpen.descriptor(image)) {
      VolumeException busy = assertThrows(VolumeException.class,
          () -> Holders.refuseIfHeld(pool, "vm1/root.img", "default", "delete"));
      assertEquals(ErrorCode.BUSY, busy.code());
      assertEquals(true, busy.getMessage().contains("pid " + held.pid() + " (python3)"), busy.getMessage());
      assertEquals(List.of(Map.of("pid", held.pid(), "command", "python3")), busy.details().get("holders"));
    }
  }

  private static boolean isRoot() throws Exception {
    return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }
}

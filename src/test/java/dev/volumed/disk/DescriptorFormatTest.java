package dev.volumed.disk;

import dev.volumed.model.FileSystemType;
import dev.volumed.model.Allocation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every mkfs tool (and blkid) accepts {@code /proc/<pid>/fd/<n>}, the descriptor path volumed formats
 * an open image through, and formats exactly the open file, even after its name has moved.
 */
class DescriptorFormatTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeAllFileSystems();
  }

  private static final long MIB = 1 << 20;

  private final Formatter formatter = new Formatter(Duration.ofMinutes(2));

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"ext4, 64, root", "ext3, 64, data", "ext2, 64, boot", "xfs, 320, xfsdata",
      "btrfs, 160, pool", "vfat, 64, ESP", "swap, 64, swap0"})
  void formatsThroughTheDescriptorPath(String wire, long mib, String label) throws Exception {
    FileSystemType fs = FileSystemType.fromWire(wire).orElseThrow();
    Probe expected = new Probe(Optional.of(fs), Optional.of(label));
    try (PoolDir folder = PoolDir.open(dir);
         OpenImage image = OpenImage.create(folder, wire + ".img", mib * MIB, Allocation.SPARSE,
             PosixFilePermissions.fromString("rw-------"))) {
      Path device = image.devicePath();
      assertTrue(device.toString().matches("/proc/\\d+/fd/\\d+"), device.toString());
      formatter.format(device, fs, label, List.of(), Allocation.SPARSE);
      assertEquals(Optional.of(expected), formatter.probe(device), "blkid through the descriptor path");
    }
    Path img = dir.resolve(wire + ".img");
    assertEquals(mib * MIB, Files.size(img), "formatting must not change the size");
    assertEquals(Optional.of(expected), formatter.probe(img), "blkid by the image's name");
  }

  @Test
  void formatsTheOpenFileEvenWhenItsNameNowPointsElsewhere() throws Exception {
    Path decoy = Files.write(dir.resolve("decoy"), new byte[4096]);
    try (PoolDir folder = PoolDir.open(dir);
         OpenImage image = OpenImage.create(folder, "moved.img", 64 * MIB, Allocation.SPARSE,
             PosixFilePermissions.fromString("rw-------"))) {
      Files.move(dir.resolve("moved.img"), dir.resolve("elsewhere.img"));
      Files.createSymbolicLink(dir.resolve("moved.img"), decoy); // the old name now leads to another file
      formatter.format(image.devicePath(), FileSystemType.EXT4, "moved", List.of(), Allocation.SPARSE);
    }
    assertEquals(Optional.of(new Probe(Optional.of(FileSystemType.EXT4), Optional.of("moved"))),
        formatter.probe(dir.resolve("elsewhere.img")));
    assertTrue(java.util.Arrays.equals(new byte[4096], Files.readAllBytes(decoy)), "the decoy was not touched");
  }
}

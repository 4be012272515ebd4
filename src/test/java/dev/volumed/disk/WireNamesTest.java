package dev.volumed.disk;

import dev.volumed.model.FileSystemType;
import dev.volumed.model.Allocation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class WireNamesTest {

  @Test
  void allocationWireNamesRoundTrip() {
    for (Allocation a : Allocation.values()) {
      assertEquals(Optional.of(a), Allocation.fromWire(a.wireName()));
    }
    assertEquals("fallocate", Allocation.FALLOCATE.wireName());
    assertEquals(Optional.empty(), Allocation.fromWire("SPARSE"));
    assertEquals(Optional.empty(), Allocation.fromWire(null));
  }

  @Test
  void onlyFallocateAndFullReserveBlocks() {
    assertFalse(Allocation.SPARSE.reservesBlocks());
    assertTrue(Allocation.FALLOCATE.reservesBlocks());
    assertTrue(Allocation.FULL.reservesBlocks());
  }

  @Test
  void fileSystemWireNamesRoundTrip() {
    for (FileSystemType fs : FileSystemType.values()) {
      assertEquals(Optional.of(fs), FileSystemType.fromWire(fs.wireName()));
    }
    assertEquals("btrfs", FileSystemType.BTRFS.wireName());
    assertEquals(Optional.empty(), FileSystemType.fromWire("ntfs"));
  }

  @Test
  void fileSystemsKnowTheirToolsPackagesAndLabelLimits() {
    assertEquals(Optional.of("mkfs.xfs"), FileSystemType.XFS.tool());
    assertEquals("xfsprogs", FileSystemType.XFS.packageName());
    assertEquals(Optional.of("mkswap"), FileSystemType.SWAP.tool());
    assertEquals("util-linux", FileSystemType.SWAP.packageName());
    assertEquals(Optional.empty(), FileSystemType.NONE.tool());
    assertEquals(16, FileSystemType.EXT3.maxLabelBytes());
    assertEquals(12, FileSystemType.XFS.maxLabelBytes());
    assertEquals(11, FileSystemType.VFAT.maxLabelBytes());
    assertEquals(254, FileSystemType.BTRFS.maxLabelBytes()); // mkfs.btrfs keeps 254 of 255
    assertEquals(15, FileSystemType.SWAP.maxLabelBytes()); // mkswap keeps 15 of 16
    assertEquals(0, FileSystemType.NONE.maxLabelBytes());
  }
}

package dev.volumed.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolStoreMeasureTest {
  private static final long MIB = 1 << 20;

  @TempDir Path pool;

  @Test
  void readyVolumesAreMeasuredThroughTheWalkAndTheRestKeepTheirFigures() throws Exception {
    Files.createDirectories(pool.resolve("vm1"));
    Path outside = Files.createDirectory(pool.resolve("outside"));
    Files.createSymbolicLink(pool.resolve("vm2"), outside);
    for (Path image : List.of(pool.resolve("vm1/a.img"), pool.resolve("vm1/b.img"), pool.resolve("top.img"),
        outside.resolve("linked.img"))) {
      TestImages.allocate(image, 4 * MIB, Allocation.FALLOCATE, PosixFilePermissions.fromString("rw-------"));
    }
    List<Volume> volumes = List.of(volume("vm1/a.img", Volume.State.READY), volume("vm1/b.img", Volume.State.READY),
        volume("top.img", Volume.State.READY), volume("vm2/linked.img", Volume.State.READY),
        volume("vm1/gone.img", Volume.State.READY), volume("vm3/gone.img", Volume.State.READY),
        volume("vm1/a.img", Volume.State.CREATING));

    List<Volume> measured = PoolStore.measured(pool, volumes);

    assertEquals(TestImages.allocatedBytes(pool.resolve("vm1/a.img")), measured.get(0).allocatedBytes());
    assertTrue(measured.get(0).allocatedBytes() >= 4 * MIB);
    assertEquals(TestImages.allocatedBytes(pool.resolve("vm1/b.img")), measured.get(1).allocatedBytes());
    assertEquals(TestImages.allocatedBytes(pool.resolve("top.img")), measured.get(2).allocatedBytes());
    assertEquals(7, measured.get(3).allocatedBytes(), "an image behind a symlinked folder is never measured");
    assertEquals(7, measured.get(4).allocatedBytes(), "a missing image keeps its figure");
    assertEquals(7, measured.get(5).allocatedBytes(), "a missing folder too");
    assertEquals(7, measured.get(6).allocatedBytes(), "only a ready volume is measured");
    assertEquals(measured.get(0), PoolStore.measured(pool, volumes.get(0)));
  }

  private static Volume volume(String name, Volume.State state) {
    VolumeSpec spec = new VolumeSpec(name, 4 * MIB, FileSystemType.NONE, Optional.empty(), List.of(), Allocation.FALLOCATE);
    return new Volume(spec, Instant.EPOCH, 7, state, false);
  }
}

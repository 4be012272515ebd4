package dev.volumed.disk;

import dev.volumed.model.FileSystemType;
import dev.volumed.model.Allocation;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.volumed.model.VolumeSpec;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one rule start-up and refresh share: an image is a regular file of the volume's size, with every block for fallocate/full. */
class ImageCheckTest {
  private static final long SIZE = 1 << 20;

  @TempDir Path pool;

  @Test
  void anImageOfTheRightLengthIsHealthyAndItsBlocksAreMeasured() throws Exception {
    sparse("sparse.img", SIZE);
    assertEquals(new ImageCheck.Result(0, Optional.empty()), ImageCheck.check(pool, spec("sparse.img", Allocation.SPARSE)));
    Files.write(pool.resolve("written.img"), new byte[(int) SIZE]);
    ImageCheck.Result written = ImageCheck.check(pool, spec("written.img", Allocation.FULL));
    assertEquals(Optional.empty(), written.damage());
    assertEquals(TestImages.allocatedBytes(pool.resolve("written.img")), written.allocatedBytes());
  }

  @Test
  void aShorterOrLongerImageIsDamagedNamingBothLengths() throws Exception {
    sparse("short.img", 1);
    assertEquals(Optional.of("image is 1 byte long, its metadata says " + SIZE),
        ImageCheck.check(pool, spec("short.img", Allocation.SPARSE)).damage());
    sparse("long.img", 2 * SIZE);
    assertEquals(Optional.of("image is " + 2 * SIZE + " bytes long, its metadata says " + SIZE),
        ImageCheck.check(pool, spec("long.img", Allocation.SPARSE)).damage());
  }

  @Test
  void aFallocateOrFullImageWithoutAllItsBlocksIsDamaged() throws Exception {
    sparse("thin.img", SIZE);
    for (Allocation allocation : List.of(Allocation.FALLOCATE, Allocation.FULL)) {
      assertEquals(Optional.of("image has 0 of its " + SIZE + " bytes allocated on disk, but its metadata says allocation "
          + allocation.wireName() + " (every block allocated)"), ImageCheck.check(pool, spec("thin.img", allocation)).damage());
    }
  }

  @Test
  void aFolderASymlinkOrNothingAtTheNameIsDamaged() throws Exception {
    Files.createDirectory(pool.resolve("folder.img"));
    assertEquals(Optional.of("the image is a folder, not a file"),
        ImageCheck.check(pool, spec("folder.img", Allocation.SPARSE)).damage());
    sparse("target.img", SIZE);
    Files.createSymbolicLink(pool.resolve("link.img"), pool.resolve("target.img"));
    assertEquals(Optional.of("the image is a symbolic link, which volumed never follows"),
        ImageCheck.check(pool, spec("link.img", Allocation.SPARSE)).damage());
    assertEquals(Optional.of("the image is gone: there is nothing at its name"),
        ImageCheck.check(pool, spec("vm9/missing.img", Allocation.SPARSE)).damage());
  }

  private void sparse(String name, long length) throws Exception {
    try (RandomAccessFile file = new RandomAccessFile(pool.resolve(name).toFile(), "rw")) {
      file.setLength(length);
    }
  }

  private static VolumeSpec spec(String name, Allocation allocation) {
    return new VolumeSpec(name, SIZE, FileSystemType.NONE, Optional.empty(), List.of(), allocation);
  }
}

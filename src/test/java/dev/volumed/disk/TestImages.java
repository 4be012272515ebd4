package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import dev.volumed.model.Allocation;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Images by path, for tests that need a file outside a pool (a loop mount, a tmpfs): the folder is
 * opened by its path, trusted like a pool root, and the image made by the daemon's own
 * {@link OpenImage#create}.
 */
public final class TestImages {
  private TestImages() {}

  /** Creates a new image at path, sized as allocation says, and fsyncs it ({@link OpenImage#create}). */
  public static void allocate(Path path, long size, Allocation allocation, Set<PosixFilePermission> mode)
      throws VolumeException {
    try (PoolDir folder = PoolDir.open(path.toAbsolutePath().getParent());
         OpenImage image = OpenImage.create(folder, path.getFileName().toString(), size, allocation, mode)) {
      image.sync();
    }
  }

  /** st_blocks * 512 of file, not following a symlink at its last component. */
  public static long allocatedBytes(Path file) throws IOException {
    try {
      return Entry.statx(LibC.AT_FDCWD, file.toString(), LibC.AT_SYMLINK_NOFOLLOW).allocatedBytes();
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        throw new NoSuchFileException(file.toString());
      }
      throw new IOException("statx " + file + ": " + LibC.describe(e.getErrorCode()), e);
    }
  }

  /** A temporary name beside finalPath, as volumed makes them. */
  public static Path tempPathFor(Path finalPath) {
    return finalPath.resolveSibling(TempNames.forLeaf(finalPath.getFileName().toString()));
  }
}

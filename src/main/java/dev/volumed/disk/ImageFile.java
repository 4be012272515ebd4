package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.lang.ref.Cleaner;

/**
 * A published volume's image opened read-write in its folder without following a symlink, for
 * work on it in place. Close it (try-with-resources); a lost one is closed by a Cleaner.
 */
final class ImageFile implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  private final Descriptor fd;
  private final Cleaner.Cleanable cleanable;
  private final String name;

  private ImageFile(int fd, String name) {
    this.fd = new Descriptor(fd);
    this.cleanable = CLEANER.register(this, this.fd);
    this.name = name;
  }

  /** The image of name (its leaf in folder); NOT_FOUND when nothing is there, PERMISSION_DENIED for a symlink. */
  static ImageFile open(PoolDir folder, String name) throws VolumeException {
    String leaf = PoolWalk.leafOf(name);
    try {
      ImageFile image = new ImageFile(LibC.INSTANCE.openat(folder.fd(), leaf,
          LibC.O_RDWR | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0), name);
      if (!image.entry().isRegularFile()) {
        image.close();
        throw new VolumeException(ErrorCode.IO_ERROR, "the image of " + name + " is not a regular file");
      }
      return image;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        throw new VolumeException(ErrorCode.NOT_FOUND, "the image of " + name + " is gone: there is nothing at "
            + folder.pathOf(leaf));
      }
      throw Errors.errno(e.getErrorCode(), "Cannot open the image " + folder.pathOf(leaf));
    }
  }

  int fd() {
    return fd.get();
  }

  long size() throws VolumeException {
    return entry().size();
  }

  /** st_blocks × 512 now. */
  long allocatedBytes() throws VolumeException {
    return entry().allocatedBytes();
  }

  private Entry entry() throws VolumeException {
    try {
      return Entry.statx(fd.get(), "", LibC.AT_EMPTY_PATH);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot inspect the image of " + name);
    }
  }

  @Override
  public void close() {
    cleanable.clean();
  }
}

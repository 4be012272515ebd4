package dev.volumed.disk;

import dev.volumed.model.Allocation;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.volumed.model.VolumeException;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * An image file held open read-write by the descriptor that created it. Every step after creation
 * (NOCOW, mode, size, ownership, fsync, measuring) goes through that descriptor, and mkfs is given
 * {@link #devicePath()}, so no step can land on another file if names change meanwhile.
 * Close it (try-with-resources); a lost one is closed by a Cleaner.
 */
final class OpenImage implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  private final PoolDir.Descriptor fd;
  private final Cleaner.Cleanable cleanable;
  private final Path path;

  OpenImage(int fd, Path path) {
    this.fd = new PoolDir.Descriptor(fd);
    this.cleanable = CLEANER.register(this, this.fd);
    this.path = path;
  }

  /**
   * {@code /proc/<volumed's pid>/fd/<fd>}: opening it opens exactly this inode, whatever happens to the
   * names in the pool meanwhile (a "magic link", never resolved through the file's name). Valid while
   * this image is open; mkfs, blkid and friends accept it as the device to work on.
   */
  Path devicePath() {
    return Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd", Integer.toString(fd.get()));
  }

  /** Where the file was when it was created (for messages). */
  Path path() {
    return path;
  }

  void allocate(long size, Allocation allocation, Set<PosixFilePermission> mode) throws VolumeException {
    int f = fd.get();
    ImageFiles.setNoCow(f, path);
    ImageFiles.fchmod(f, path, mode);
    switch (allocation) {
      case SPARSE -> ImageFiles.truncate(f, path, size);
      case FALLOCATE -> ImageFiles.fallocate(f, path, size);
      case FULL -> ImageFiles.writeZeros(f, path, size);
    }
  }

  /** Writes all of bytes at the current offset (for small files such as metadata). */
  void write(byte[] bytes) throws VolumeException {
    try (Memory buf = new Memory(Math.max(1, bytes.length))) {
      buf.write(0, bytes, 0, bytes.length);
      long written = 0;
      while (written < bytes.length) {
        written += LibC.INSTANCE.write(fd.get(), buf.share(written), bytes.length - written);
      }
    } catch (LastErrorException e) {
      throw ImageFiles.spaceOrIo(e.getErrorCode(), "Cannot write " + path);
    }
  }

  /** fchown; owner and group are a name or a numeric id, or null to leave as is. */
  void setOwnership(String owner, String group) throws VolumeException {
    ImageFiles.fchown(fd.get(), path, owner, group);
  }

  /** fsync the file's data and metadata. */
  void sync() throws VolumeException {
    try {
      LibC.INSTANCE.fsync(fd.get());
    } catch (LastErrorException e) {
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot flush " + path + " to disk");
    }
  }

  /** st_blocks * 512 of this very file. */
  long allocatedBytes() throws VolumeException {
    try {
      return PoolDir.statx(fd.get(), "", LibC.AT_EMPTY_PATH).blocks() * 512;
    } catch (LastErrorException e) {
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot measure " + path);
    }
  }

  @Override
  public void close() {
    cleanable.clean();
  }
}

package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.settings.HostIds;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An image file held open read-write by the descriptor that created it. Every step after creation
 * (NOCOW, mode, size, ownership, fsync, measuring) goes through that descriptor, and mkfs is given
 * {@link #devicePath()}, so no step can land on another file if names change meanwhile.
 * Close it (try-with-resources); a lost one is closed by a Cleaner. Every method blocks.
 */
final class OpenImage implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OpenImage.class);
  private static final Cleaner CLEANER = Cleaner.create();
  private static final int NEW_FILE_MODE = 0600;
  private static final int ZERO_BLOCK_BYTES = 4 << 20;

  private final Descriptor fd;
  private final Cleaner.Cleanable cleanable;
  private final Path path;

  OpenImage(int fd, Path path) {
    this.fd = new Descriptor(fd);
    this.cleanable = CLEANER.register(this, this.fd);
    this.path = path;
  }

  /**
   * Creates the file leaf in folder ({@code O_CREAT|O_EXCL|O_NOFOLLOW}: anything already there, a
   * symlink included, is ALREADY_EXISTS and is left alone), sets FS_NOCOW_FL while it is empty, sets
   * exactly the given mode, then sizes it as the allocation says, all through its descriptor. On
   * failure the file is removed again.
   */
  static OpenImage create(PoolDir folder, String leaf, long size, Allocation allocation,
      Set<PosixFilePermission> mode) throws VolumeException {
    if (size <= 0) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "The size must be a positive number of bytes, not " + size + ".");
    }
    OpenImage image = createEmpty(folder, leaf);
    boolean done = false;
    try {
      image.setNoCow();
      image.setMode(mode);
      switch (allocation) {
        case SPARSE -> image.truncate(size);
        case FALLOCATE -> image.fallocate(size);
        case FULL -> image.writeZeros(size, written -> { }, WritePacer.unpaced());
      }
      done = true;
      return image;
    } finally {
      if (!done) {
        image.close();
        folder.unlinkQuietly(leaf);
      }
    }
  }

  /** A new empty file leaf in folder (mode 0600 until told otherwise), opened read-write. */
  static OpenImage createEmpty(PoolDir folder, String leaf) throws VolumeException {
    int flags = LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;
    try {
      return new OpenImage(LibC.INSTANCE.openat(folder.fd(), leaf, flags, NEW_FILE_MODE), folder.pathOf(leaf));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.EEXIST) {
        throw new VolumeException(ErrorCode.ALREADY_EXISTS, "Something already exists at " + folder.pathOf(leaf)
            + "; delete it first or choose another name.");
      }
      throw Errors.errno(e.getErrorCode(), "Cannot create " + folder.pathOf(leaf));
    }
  }

  /**
   * Opens the existing regular file leaf of folder read-write, never through a symlink
   * (O_NOFOLLOW): for changing a published image in place.
   */
  static OpenImage open(PoolDir folder, String leaf) throws VolumeException {
    Optional<Entry> entry = folder.entry(leaf);
    if (entry.isEmpty() || !entry.get().isRegularFile()) {
      throw new VolumeException(ErrorCode.NOT_FOUND, "There is no image file at " + folder.pathOf(leaf));
    }
    try {
      return new OpenImage(LibC.INSTANCE.openat(folder.fd(), leaf, LibC.O_RDWR | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0),
          folder.pathOf(leaf));
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot open " + folder.pathOf(leaf));
    }
  }

  /**
   * Grows the file from {@code from} to {@code to} bytes the way its allocation says: sparse, a hole
   * (ftruncate); fallocate, the new range allocated; full, the new range written with zeros. Then fsync.
   */
  void grow(long from, long to, Allocation allocation, LongConsumer written, WritePacer pacer) throws VolumeException {
    switch (allocation) {
      case SPARSE -> truncate(to);
      case FALLOCATE -> {
        try {
          LibC.INSTANCE.fallocate(fd.get(), 0, from, to - from);
        } catch (LastErrorException e) {
          throw Errors.spaceOrIo(e.getErrorCode(), "Cannot reserve " + (to - from) + " more bytes for " + path);
        }
      }
      case FULL -> {
        seek(from);
        writeZeros(to - from, written, pacer);
      }
    }
    sync();
  }

  /** Cuts the file back to size bytes (a failed or undone growth); the blocks past it are freed. */
  void shrinkTo(long size) throws VolumeException {
    truncate(size);
    sync();
  }

  /** The file's length now. */
  long size() throws VolumeException {
    try {
      return Entry.statx(fd.get(), "", LibC.AT_EMPTY_PATH).size();
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot measure " + path);
    }
  }

  /** The raw descriptor, for the steps that read or copy the file's data (Holes, ExtentCopy); valid while this is open. */
  int fd() {
    return fd.get();
  }

  private void seek(long offset) throws VolumeException {
    try {
      LibC.INSTANCE.lseek(fd.get(), offset, 0);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot seek in " + path);
    }
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

  /** chattr +C on the empty file, so a CoW host (btrfs) does not fragment VM writes. */
  private void setNoCow() {
    try {
      IntByReference flags = new IntByReference();
      LibC.INSTANCE.ioctl(fd.get(), LibC.FS_IOC_GETFLAGS, flags);
      if ((flags.getValue() & LibC.FS_NOCOW_FL) == 0) {
        flags.setValue(flags.getValue() | LibC.FS_NOCOW_FL);
        LibC.INSTANCE.ioctl(fd.get(), LibC.FS_IOC_SETFLAGS, flags);
      }
    } catch (LastErrorException e) {
      int errno = e.getErrorCode();
      boolean unsupported = errno == LibC.ENOTTY || errno == LibC.EOPNOTSUPP || errno == LibC.EINVAL;
      if (unsupported) {
        // The usual case on a file system without copy-on-write (ext4, xfs, tmpfs): nothing to do.
        log.debug("NOCOW attribute not supported for {}: {}", path, LibC.describe(errno));
      } else {
        log.warn("Could not set the NOCOW attribute on {}: {}", path, LibC.describe(errno));
      }
    }
  }

  /** Exactly mode, whatever the umask. */
  private void setMode(Set<PosixFilePermission> mode) throws VolumeException {
    int bits = 0;
    for (PosixFilePermission p : mode) {
      bits |= 1 << (8 - p.ordinal()); // the enum runs OWNER_READ (0400) ... OTHERS_EXECUTE (0001)
    }
    try {
      LibC.INSTANCE.fchmod(fd.get(), bits);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot set the mode of " + path);
    }
  }

  /** sparse: the size without blocks. */
  private void truncate(long size) throws VolumeException {
    try {
      LibC.INSTANCE.ftruncate(fd.get(), size);
    } catch (LastErrorException e) {
      throw Errors.spaceOrIo(e.getErrorCode(), "Cannot set the size of " + path + " to " + size + " bytes");
    }
  }

  /** fallocate: every block reserved now, none written. */
  private void fallocate(long size) throws VolumeException {
    try {
      LibC.INSTANCE.fallocate(fd.get(), 0, 0, size);
    } catch (LastErrorException e) {
      int errno = e.getErrorCode();
      if (errno == LibC.EOPNOTSUPP) {
        throw new VolumeException(ErrorCode.UNSUPPORTED, "The file system holding " + path
            + " does not support fallocate; use allocation \"sparse\" (blocks on write) or \"full\" (zeros written now).");
      }
      throw Errors.spaceOrIo(errno, "Cannot reserve " + size + " bytes for " + path);
    }
  }

  /** full: every block written with zeros now; written hears the bytes done after each write. */
  private void writeZeros(long size, LongConsumer progress, WritePacer pacer) throws VolumeException {
    Memory zeros = new Memory(Math.min(ZERO_BLOCK_BYTES, size));
    zeros.clear();
    long written = 0;
    try {
      while (written < size) {
        long n = LibC.INSTANCE.write(fd.get(), zeros, Math.min(zeros.size(), size - written));
        written += n; // a short write (n < asked) is fine: the loop asks again for the rest
        pacer.wrote(n);
        progress.accept(written);
      }
    } catch (LastErrorException e) {
      throw Errors.spaceOrIo(e.getErrorCode(), "Cannot write " + size + " bytes of zeros to " + path
          + " (stopped after " + written + ")");
    } finally {
      zeros.close();
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
      throw Errors.spaceOrIo(e.getErrorCode(), "Cannot write " + path);
    }
  }

  /** fchown; owner and group are a name or a numeric id, or null to leave as is. */
  void setOwnership(String owner, String group) throws VolumeException {
    if (owner == null && group == null) {
      return;
    }
    int uid = owner == null ? -1 : HostIds.idOf(owner, true);
    int gid = group == null ? -1 : HostIds.idOf(group, false);
    try {
      LibC.INSTANCE.fchown(fd.get(), uid, gid);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot change the owner of " + path);
    }
  }

  /** fsync the file's data and metadata. */
  void sync() throws VolumeException {
    try {
      LibC.INSTANCE.fsync(fd.get());
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot flush " + path + " to disk");
    }
  }

  /** st_blocks * 512 of this very file. */
  long allocatedBytes() throws VolumeException {
    try {
      return Entry.statx(fd.get(), "", LibC.AT_EMPTY_PATH).allocatedBytes();
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot measure " + path);
    }
  }

  @Override
  public void close() {
    cleanable.clean();
  }
}

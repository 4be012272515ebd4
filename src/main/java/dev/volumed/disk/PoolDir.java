package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A folder of a pool, held open by a descriptor that was reached from the pool's root one component
 * at a time ({@link PoolWalk}): a symlink anywhere under the root is refused, never followed, and
 * every later step ({@code openat}, {@code renameat2}, {@code unlinkat}) works relative to this very
 * folder, whatever happens to the names above it meanwhile. The path is kept for messages only; it is
 * never used to reach the folder again.
 *
 * <p>Close it (try-with-resources). One that is lost without being closed is closed by a Cleaner.
 * Every method blocks.
 */
public final class PoolDir implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PoolDir.class);
  private static final Cleaner CLEANER = Cleaner.create();

  private final Descriptor fd;
  private final Cleaner.Cleanable cleanable;
  private final Path path;

  PoolDir(int fd, Path path) {
    this.fd = new Descriptor(fd);
    this.cleanable = CLEANER.register(this, this.fd);
    this.path = path;
  }

  /**
   * Opens a folder by its path. Symlinks in this path are followed: it is the pool's root (or a
   * folder the caller trusts as much), the operator's choice, not a name a client gave.
   */
  static PoolDir open(Path folder) throws VolumeException {
    Path absolute = folder.toAbsolutePath().normalize();
    try {
      return new PoolDir(LibC.INSTANCE.open(absolute.toString(), LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0),
          absolute);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot open the folder " + absolute);
    }
  }

  // ---- what is in the folder --------------------------------------------------------------

  /** The entry named leaf, never followed; empty when there is none. */
  Optional<Entry> entry(String leaf) throws VolumeException {
    try {
      return Optional.of(Entry.statx(fd(), leaf, LibC.AT_SYMLINK_NOFOLLOW));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        return Optional.empty();
      }
      throw Errors.errno(e.getErrorCode(), "Cannot inspect " + pathOf(leaf));
    }
  }

  /** True when this folder has been removed since it was opened (it has no link left). */
  boolean removed() {
    try (Memory buf = new Memory(LibC.STATX_STRUCT_SIZE)) {
      buf.clear();
      LibC.INSTANCE.statx(fd(), "", LibC.AT_EMPTY_PATH, LibC.STATX_NLINK, buf);
      return buf.getInt(LibC.STATX_NLINK_OFFSET) == 0;
    } catch (LastErrorException e) {
      return false;
    }
  }

  // ---- files ------------------------------------------------------------------------------

  /** Renames from to to in this folder without replacing anything (ALREADY_EXISTS, also for a symlink). */
  void renameNoReplace(String from, String to) throws VolumeException {
    if (LibC.SYS_RENAMEAT2 != 0) {
      try {
        LibC.INSTANCE.syscall(LibC.SYS_RENAMEAT2, fd(), from, fd(), to, LibC.RENAME_NOREPLACE);
        return;
      } catch (LastErrorException e) {
        int errno = e.getErrorCode();
        if (errno == LibC.EEXIST) {
          throw alreadyExists(to);
        }
        // ENOSYS: old kernel; EINVAL: the file system cannot do RENAME_NOREPLACE. Anything else is real.
        if (errno != LibC.ENOSYS && errno != LibC.EINVAL) {
          throw Errors.errno(errno, "Cannot rename " + pathOf(from) + " to " + pathOf(to));
        }
        log.debug("renameat2 unavailable ({}), falling back to link and unlink", LibC.describe(errno));
      }
    }
    // link(2) never replaces either; then the temporary name goes.
    try {
      LibC.INSTANCE.linkat(fd(), from, fd(), to, 0);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.EEXIST) {
        throw alreadyExists(to);
      }
      throw Errors.errno(e.getErrorCode(), "Cannot link " + pathOf(from) + " as " + pathOf(to));
    }
    unlinkQuietly(from);
  }

  private VolumeException alreadyExists(String leaf) {
    return new VolumeException(ErrorCode.ALREADY_EXISTS, "Something already exists at " + pathOf(leaf)
        + " and was left as it is; delete it first or choose another name.");
  }

  /** Renames from to to in this folder, replacing to (for volumed's own metadata files). */
  void renameReplacing(String from, String to) throws VolumeException {
    try {
      LibC.INSTANCE.renameat(fd(), from, fd(), to);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot rename " + pathOf(from) + " to " + pathOf(to));
    }
  }

  /**
   * Moves leaf of this folder to newLeaf in target (same file system), never replacing anything there
   * (renameat2 RENAME_NOREPLACE; ALREADY_EXISTS when taken). For volumed's own files under .volumed.
   */
  void moveTo(String leaf, PoolDir target, String newLeaf) throws VolumeException {
    try {
      if (LibC.SYS_RENAMEAT2 != 0) {
        LibC.INSTANCE.syscall(LibC.SYS_RENAMEAT2, fd(), leaf, target.fd(), newLeaf, LibC.RENAME_NOREPLACE);
      } else if (target.entry(newLeaf).isEmpty()) {
        LibC.INSTANCE.renameat(fd(), leaf, target.fd(), newLeaf); // names under .volumed are volumed's own
      } else {
        throw new LastErrorException(LibC.EEXIST);
      }
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.EEXIST) {
        throw new VolumeException(ErrorCode.ALREADY_EXISTS, target.pathOf(newLeaf) + " already exists");
      }
      throw Errors.errno(e.getErrorCode(), "Cannot move " + pathOf(leaf) + " to " + target.pathOf(newLeaf));
    }
  }

  /** unlinkat: removes the entry itself (a symlink, never its target); false when there is none. */
  boolean unlink(String leaf) throws VolumeException {
    try {
      LibC.INSTANCE.unlinkat(fd(), leaf, 0);
      return true;
    } catch (LastErrorException e) {
      int errno = e.getErrorCode();
      if (errno == LibC.ENOENT) {
        return false;
      }
      if (errno == LibC.EISDIR) {
        throw new VolumeException(ErrorCode.INVALID_NAME, pathOf(leaf) + " is a folder, not an image; nothing was deleted.");
      }
      throw Errors.errno(errno, "Cannot delete " + pathOf(leaf));
    }
  }

  /** Best-effort unlink for rollback: never throws. */
  void unlinkQuietly(String leaf) {
    try {
      LibC.INSTANCE.unlinkat(fd(), leaf, 0);
    } catch (LastErrorException | IllegalStateException e) {
      log.debug("Could not remove {}: {}", pathOf(leaf), e.toString());
    }
  }

  /** Removes the folder leaf if it is an empty real folder (a symlink there is ENOTDIR and stays); false otherwise. */
  boolean removeEmptyFolder(String leaf) {
    try {
      LibC.INSTANCE.unlinkat(fd(), leaf, LibC.AT_REMOVEDIR);
      return true;
    } catch (LastErrorException e) {
      return false;
    }
  }

  /** fsync the file leaf of this folder (never through a symlink). */
  void syncFile(String leaf) throws VolumeException {
    int file;
    try {
      file = LibC.INSTANCE.openat(fd(), leaf, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot open " + pathOf(leaf) + " to flush it");
    }
    try {
      LibC.INSTANCE.fsync(file);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot flush " + pathOf(leaf));
    } finally {
      Descriptor.closeQuietly(file);
    }
  }

  /** fsync the folder, so a create, rename or unlink in it survives a crash. */
  void sync() throws VolumeException {
    int dir;
    try {
      // An O_PATH descriptor cannot be fsynced; "." opened from it is this very folder.
      dir = LibC.INSTANCE.openat(fd(), ".", LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot open the folder " + path + " to flush it");
    }
    try {
      LibC.INSTANCE.fsync(dir);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot flush the folder " + path);
    } finally {
      Descriptor.closeQuietly(dir);
    }
  }

  // ---- the handle -------------------------------------------------------------------------

  /** Where this folder was when it was opened (for messages). */
  public Path path() {
    return path;
  }

  /** Where leaf in this folder was when the folder was opened (for messages). */
  public Path pathOf(String leaf) {
    return path.resolve(leaf);
  }

  int fd() {
    return fd.get();
  }

  public boolean isOpen() {
    return fd.isOpen();
  }

  @Override
  public void close() {
    cleanable.clean();
  }

  @Override
  public String toString() {
    return "PoolDir[" + path + "]";
  }
}

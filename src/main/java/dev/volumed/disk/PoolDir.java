package dev.volumed.disk;

import dev.volumed.model.Allocation;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A folder of a pool, held open by a descriptor that was reached from the pool's root one component
 * at a time with {@code openat(O_NOFOLLOW|O_DIRECTORY)}: a symlink anywhere under the root is refused,
 * never followed, and every later step ({@code openat}, {@code renameat2}, {@code unlinkat}) works
 * relative to this very folder, whatever happens to the names above it meanwhile. The path is kept for
 * messages only; it is never used to reach the folder again.
 *
 * <p>Close it (try-with-resources). One that is lost without being closed is closed by a Cleaner.
 * Every method blocks.
 */
public final class PoolDir implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PoolDir.class);
  private static final Cleaner CLEANER = Cleaner.create();

  /** A name-only descriptor: enough for *at calls and statx, needs no read permission on the folder. */
  private static final int WALK_FLAGS = LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;
  private static final int FOLDER_MODE = 0755;
  private static final int NEW_FILE_MODE = 0600;

  private final Descriptor fd;
  private final Cleaner.Cleanable cleanable;
  private final Path path;

  private PoolDir(int fd, Path path) {
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
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot open the folder " + absolute);
    }
  }

  /**
   * Walks from the pool's root to the folder that holds the last segment of name (a relative name like
   * "vm1/var.img", checked here). A symlink is PERMISSION_DENIED and a file where a folder is needed is
   * INVALID_NAME, both naming the component; a missing folder is made (mode 0755) when createParents,
   * else NOT_FOUND.
   */
  public static PoolDir walk(Path root, String name, boolean createParents) throws VolumeException {
    String[] segments = ImageFiles.checkedSegments(name);
    return walk(root, segments, segments.length - 1, name, createParents);
  }

  /** Like {@link #walk}, to the folder named by every segment of name (made as needed when create). */
  public static PoolDir walkToFolder(Path root, String name, boolean create) throws VolumeException {
    String[] segments = ImageFiles.checkedSegments(name);
    return walk(root, segments, segments.length, name, create);
  }

  private static PoolDir walk(Path root, String[] segments, int depth, String name, boolean create)
      throws VolumeException {
    PoolDir current = open(root);
    try {
      for (int i = 0; i < depth; i++) {
        PoolDir next = current.child(segments[i], create, name);
        current.close();
        current = next;
      }
      return current;
    } catch (VolumeException | RuntimeException e) {
      current.close();
      throw e;
    }
  }

  /** The folder named segment in this one, never through a symlink; made first when create and missing. */
  PoolDir child(String segment, boolean create, String name) throws VolumeException {
    for (int attempt = 0; ; attempt++) {
      try {
        return new PoolDir(LibC.INSTANCE.openat(fd(), segment, WALK_FLAGS, 0), pathOf(segment));
      } catch (LastErrorException e) {
        if (e.getErrorCode() == LibC.ENOENT && create && attempt < 3) {
          Optional<PoolDir> made = makeFolder(segment, name);
          if (made.isPresent()) {
            return made.get();
          }
          continue; // made by someone else meanwhile: open what is there now, again without following
        }
        throw componentError(e.getErrorCode(), segment, name, false);
      }
    }
  }

  /** mkdirat, then open the new folder without following and set its mode; empty when it already exists. */
  private Optional<PoolDir> makeFolder(String segment, String name) throws VolumeException {
    try {
      LibC.INSTANCE.mkdirat(fd(), segment, FOLDER_MODE);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.EEXIST) {
        return Optional.empty();
      }
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot create the folder " + pathOf(segment));
    }
    int folder;
    try {
      // A real descriptor (not O_PATH) so that fchmod works; it serves as a dirfd all the same.
      folder = LibC.INSTANCE.openat(fd(), segment, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        return Optional.empty(); // pruned by a failed volume right after mkdirat: try again
      }
      throw componentError(e.getErrorCode(), segment, name, false); // swapped right after mkdirat
    }
    PoolDir made = new PoolDir(folder, pathOf(segment));
    try {
      LibC.INSTANCE.fchmod(folder, FOLDER_MODE); // exactly 0755, whatever the umask
      sync();
      return Optional.of(made);
    } catch (LastErrorException e) {
      made.close();
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot set the mode of the folder " + pathOf(segment));
    } catch (VolumeException | RuntimeException e) {
      made.close();
      throw e;
    }
  }

  private VolumeException componentError(int errno, String segment, String name, boolean last) {
    Path p = pathOf(segment);
    // O_NOFOLLOW|O_DIRECTORY on a symlink is ENOTDIR (ELOOP without O_DIRECTORY). If the entry is a folder
    // by now, it was something else a moment ago: a link swapped back, which is refused the same way.
    boolean symlink = errno == LibC.ELOOP || errno == LibC.ENOTDIR && isLinkOrFolderNow(segment);
    if (symlink) {
      return new VolumeException(ErrorCode.PERMISSION_DENIED, "'" + p + "' (in the name '" + name
          + "') is a symbolic link; volumed never follows links inside a pool. Replace it with a real "
          + (last ? "file" : "folder") + " or choose another name.");
    }
    if (errno == LibC.ENOTDIR) {
      return new VolumeException(ErrorCode.INVALID_NAME, "'" + p + "' (in the name '" + name
          + "') exists and is not a folder, so it cannot hold the volume; choose another name.");
    }
    if (errno == LibC.ENOENT) {
      return new VolumeException(ErrorCode.NOT_FOUND, "There is no folder '" + p + "' (in the name '" + name + "').");
    }
    return ImageFiles.errnoError(errno, "Cannot open the folder " + p);
  }

  // ---- what is in the folder --------------------------------------------------------------

  /** What statx tells of one entry, not following it. */
  record Entry(int mode, long inode, long size, long blocks) {
    boolean isRegularFile() {
      return (mode & LibC.S_IFMT) == LibC.S_IFREG;
    }

    boolean isSymlink() {
      return (mode & LibC.S_IFMT) == LibC.S_IFLNK;
    }

    boolean isFolder() {
      return (mode & LibC.S_IFMT) == LibC.S_IFDIR;
    }
  }

  /** The entry named leaf, never followed; empty when there is none. */
  Optional<Entry> entry(String leaf) throws VolumeException {
    try {
      return Optional.of(statx(fd(), leaf, LibC.AT_SYMLINK_NOFOLLOW));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        return Optional.empty();
      }
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot inspect " + pathOf(leaf));
    }
  }

  static Entry statx(int dirfd, String leaf, int flags) {
    try (Memory buf = new Memory(LibC.STATX_STRUCT_SIZE)) {
      buf.clear();
      LibC.INSTANCE.statx(dirfd, leaf, flags,
          LibC.STATX_TYPE | LibC.STATX_INO | LibC.STATX_SIZE | LibC.STATX_BLOCKS, buf);
      return new Entry(buf.getShort(LibC.STATX_MODE_OFFSET) & 0xffff, buf.getLong(LibC.STATX_INO_OFFSET),
          buf.getLong(LibC.STATX_SIZE_OFFSET), buf.getLong(LibC.STATX_BLOCKS_OFFSET));
    }
  }

  private boolean isLinkOrFolderNow(String leaf) {
    try {
      Entry entry = statx(fd(), leaf, LibC.AT_SYMLINK_NOFOLLOW);
      return entry.isSymlink() || entry.isFolder();
    } catch (LastErrorException e) {
      return false;
    }
  }

  /** PERMISSION_DENIED when leaf (the last segment of name) is a symlink. */
  void refuseSymlink(String leaf, String name) throws VolumeException {
    if (entry(leaf).map(Entry::isSymlink).orElse(false)) {
      throw componentError(LibC.ELOOP, leaf, name, true);
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

  /**
   * Creates the file leaf ({@code O_CREAT|O_EXCL|O_NOFOLLOW}: anything already there, a symlink
   * included, is ALREADY_EXISTS and is left alone), sets FS_NOCOW_FL while it is empty, sets exactly
   * the given mode, then sizes it as the allocation says, all through its descriptor. On failure the
   * file is removed again.
   */
  OpenImage createImage(String leaf, long size, Allocation allocation, Set<PosixFilePermission> mode)
      throws VolumeException {
    if (size <= 0) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "The size must be a positive number of bytes, not " + size + ".");
    }
    OpenImage image = createFile(leaf);
    boolean done = false;
    try {
      image.allocate(size, allocation, mode);
      done = true;
      return image;
    } finally {
      if (!done) {
        image.close();
        unlinkQuietly(leaf);
      }
    }
  }

  /** A new empty file (mode 0600 until told otherwise), opened read-write. */
  OpenImage createFile(String leaf) throws VolumeException {
    int flags = LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;
    try {
      return new OpenImage(LibC.INSTANCE.openat(fd(), leaf, flags, NEW_FILE_MODE), pathOf(leaf));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.EEXIST) {
        throw new VolumeException(ErrorCode.ALREADY_EXISTS, "Something already exists at " + pathOf(leaf)
            + "; delete it first or choose another name.");
      }
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot create " + pathOf(leaf));
    }
  }

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
          throw ImageFiles.errnoError(errno, "Cannot rename " + pathOf(from) + " to " + pathOf(to));
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
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot link " + pathOf(from) + " as " + pathOf(to));
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
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot rename " + pathOf(from) + " to " + pathOf(to));
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
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot move " + pathOf(leaf) + " to " + target.pathOf(newLeaf));
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
      throw ImageFiles.errnoError(errno, "Cannot delete " + pathOf(leaf));
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
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot open " + pathOf(leaf) + " to flush it");
    }
    try {
      LibC.INSTANCE.fsync(file);
    } catch (LastErrorException e) {
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot flush " + pathOf(leaf));
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
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot open the folder " + path + " to flush it");
    }
    try {
      LibC.INSTANCE.fsync(dir);
    } catch (LastErrorException e) {
      throw ImageFiles.errnoError(e.getErrorCode(), "Cannot flush the folder " + path);
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

  /** An fd that is closed exactly once, by close or by the Cleaner. */
  static final class Descriptor implements Runnable {
    private final AtomicInteger value;

    Descriptor(int fd) {
      this.value = new AtomicInteger(fd);
    }

    int get() {
      int fd = value.get();
      if (fd < 0) {
        throw new IllegalStateException("descriptor already closed");
      }
      return fd;
    }

    boolean isOpen() {
      return value.get() >= 0;
    }

    @Override
    public void run() {
      int fd = value.getAndSet(-1);
      if (fd >= 0) {
        closeQuietly(fd);
      }
    }

    static void closeQuietly(int fd) {
      try {
        LibC.INSTANCE.close(fd);
      } catch (LastErrorException e) {
        log.debug("close({}) failed: {}", fd, LibC.describe(e.getErrorCode()));
      }
    }
  }
}

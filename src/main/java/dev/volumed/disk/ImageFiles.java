package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import dev.volumed.protocol.ErrorCode;
import dev.volumed.protocol.VolumeException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Blocking file operations on images. Every method blocks; callers run them on a blocking dispatcher. */
public final class ImageFiles {
  private static final Logger log = LoggerFactory.getLogger(ImageFiles.class);

  private static final String TEMP_MARKER = ".volumed-tmp-";
  private static final Set<PosixFilePermission> FOLDER_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final int ZERO_BLOCK_BYTES = 4 << 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  private ImageFiles() {}

  // ---- names ------------------------------------------------------------------------------

  /**
   * Resolves a (pre-validated) relative name like "vm1/var.img" under poolRoot without following any
   * symlink: each existing component under the pool is checked with NOFOLLOW_LINKS, and a symlink
   * anywhere is PERMISSION_DENIED. When createParents, missing parent folders are created (mode 0755).
   * The pool root itself is the operator's choice and is not checked.
   */
  public static Path resolve(Path poolRoot, String name, boolean createParents) throws VolumeException {
    Path root = poolRoot.toAbsolutePath().normalize();
    String[] segments = checkedSegments(name);
    Path current = root;
    for (int i = 0; i < segments.length; i++) {
      current = current.resolve(segments[i]);
      boolean last = i == segments.length - 1;
      if (!checkComponent(current, name, last) && !last && createParents) {
        createFolder(current, name);
      }
    }
    if (!current.startsWith(root) || current.equals(root)) {
      throw new VolumeException(ErrorCode.INVALID_NAME, "The name '" + name + "' does not stay inside the pool.");
    }
    return current;
  }

  private static String[] checkedSegments(String name) throws VolumeException {
    if (name == null || name.isEmpty() || name.startsWith("/") || name.contains("\0")) {
      throw invalidName(name);
    }
    String[] segments = name.split("/", -1);
    for (String s : segments) {
      if (s.isEmpty() || s.equals(".") || s.equals("..")) {
        throw invalidName(name);
      }
    }
    return segments;
  }

  private static VolumeException invalidName(String name) {
    return new VolumeException(ErrorCode.INVALID_NAME, "The name '" + name + "' is not a relative path inside the pool: "
        + "use 1 to 4 segments like 'vm1/var.img', without '.', '..', empty segments or a leading '/'.");
  }

  /** Checks one existing component; returns false when it does not exist. */
  private static boolean checkComponent(Path p, String name, boolean last) throws VolumeException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw ioError("Cannot inspect " + p, e);
    }
    if (attrs.isSymbolicLink()) {
      throw new VolumeException(ErrorCode.PERMISSION_DENIED, "'" + p + "' (in the name '" + name
          + "') is a symbolic link; volumed never follows links inside a pool. Replace it with a real "
          + (last ? "file" : "folder") + " or choose another name.");
    }
    if (!last && !attrs.isDirectory()) {
      throw new VolumeException(ErrorCode.INVALID_NAME, "'" + p + "' (in the name '" + name
          + "') exists and is not a folder, so it cannot hold the volume; choose another name.");
    }
    return true;
  }

  private static void createFolder(Path p, String name) throws VolumeException {
    try {
      Files.createDirectory(p);
      // Set the mode explicitly: createDirectory's attribute would be subject to the umask.
      Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(FOLDER_MODE);
      syncDirectory(p.getParent());
    } catch (FileAlreadyExistsException e) {
      checkComponent(p, name, false); // made concurrently: fine if it is a real folder
    } catch (IOException e) {
      throw ioError("Cannot create the folder " + p, e);
    }
  }

  /** Temporary name in the same folder, hidden so it is never a valid volume name. */
  public static Path tempPathFor(Path finalPath) {
    byte[] suffix = new byte[8];
    RANDOM.nextBytes(suffix);
    String name = "." + finalPath.getFileName() + TEMP_MARKER + HexFormat.of().formatHex(suffix);
    return finalPath.resolveSibling(name);
  }

  /** True for names made by {@link #tempPathFor}: leftovers of an interrupted creation. */
  public static boolean isTempName(String fileName) {
    return fileName.startsWith(".") && fileName.contains(TEMP_MARKER);
  }

  // ---- creating -----------------------------------------------------------------------------

  /**
   * Creates a new file at path (exists => ALREADY_EXISTS; a symlink there is never followed), sets
   * FS_NOCOW_FL while it is still empty (failure is only logged), sets exactly the given permission bits
   * (not subject to the umask), then sizes it as the allocation says. On any failure the file is removed.
   */
  public static void allocate(Path path, long size, Allocation allocation, Set<PosixFilePermission> mode)
      throws VolumeException {
    if (size <= 0) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "The size must be a positive number of bytes, not " + size + ".");
    }
    int fd = createExclusive(path);
    boolean done = false;
    try {
      setNoCow(fd, path);
      fchmod(fd, path, mode);
      switch (allocation) {
        case SPARSE -> truncate(fd, path, size);
        case FALLOCATE -> fallocate(fd, path, size);
        case FULL -> writeZeros(fd, path, size);
      }
      done = true;
    } finally {
      closeQuietly(fd);
      if (!done) {
        removeQuietly(path);
      }
    }
  }

  private static int createExclusive(Path path) throws VolumeException {
    int flags = LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;
    try {
      return LibC.INSTANCE.open(path.toString(), flags, 0600);
    } catch (LastErrorException e) {
      int errno = e.getErrorCode();
      if (errno == LibC.EEXIST) {
        throw new VolumeException(ErrorCode.ALREADY_EXISTS, "Something already exists at " + path
            + "; delete it first or choose another name.");
      }
      throw errnoError(errno, "Cannot create " + path);
    }
  }

  /** chattr +C on the empty file, so a CoW host (btrfs) does not fragment VM writes. */
  private static void setNoCow(int fd, Path path) {
    try {
      IntByReference flags = new IntByReference();
      LibC.INSTANCE.ioctl(fd, LibC.FS_IOC_GETFLAGS, flags);
      if ((flags.getValue() & LibC.FS_NOCOW_FL) == 0) {
        flags.setValue(flags.getValue() | LibC.FS_NOCOW_FL);
        LibC.INSTANCE.ioctl(fd, LibC.FS_IOC_SETFLAGS, flags);
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

  private static void fchmod(int fd, Path path, Set<PosixFilePermission> mode) throws VolumeException {
    try {
      LibC.INSTANCE.fchmod(fd, modeBits(mode));
    } catch (LastErrorException e) {
      throw errnoError(e.getErrorCode(), "Cannot set the mode of " + path);
    }
  }

  static int modeBits(Set<PosixFilePermission> mode) {
    int bits = 0;
    for (PosixFilePermission p : mode) {
      bits |= 1 << (8 - p.ordinal()); // the enum runs OWNER_READ (0400) ... OTHERS_EXECUTE (0001)
    }
    return bits;
  }

  private static void truncate(int fd, Path path, long size) throws VolumeException {
    try {
      LibC.INSTANCE.ftruncate(fd, size);
    } catch (LastErrorException e) {
      throw spaceOrIo(e.getErrorCode(), "Cannot set the size of " + path + " to " + size + " bytes");
    }
  }

  private static void fallocate(int fd, Path path, long size) throws VolumeException {
    try {
      LibC.INSTANCE.fallocate(fd, 0, 0, size);
    } catch (LastErrorException e) {
      int errno = e.getErrorCode();
      if (errno == LibC.EOPNOTSUPP) {
        throw new VolumeException(ErrorCode.UNSUPPORTED, "The file system holding " + path
            + " does not support fallocate; use allocation \"sparse\" (blocks on write) or \"full\" (zeros written now).");
      }
      throw spaceOrIo(errno, "Cannot reserve " + size + " bytes for " + path);
    }
  }

  private static void writeZeros(int fd, Path path, long size) throws VolumeException {
    Memory zeros = new Memory(Math.min(ZERO_BLOCK_BYTES, size));
    zeros.clear();
    long written = 0;
    try {
      while (written < size) {
        long n = LibC.INSTANCE.write(fd, zeros, Math.min(zeros.size(), size - written));
        written += n; // a short write (n < asked) is fine: the loop asks again for the rest
      }
    } catch (LastErrorException e) {
      throw spaceOrIo(e.getErrorCode(), "Cannot write " + size + " bytes of zeros to " + path
          + " (stopped after " + written + ")");
    } finally {
      zeros.close();
    }
  }

  // ---- ownership ----------------------------------------------------------------------------

  /** chown/chgrp without following a symlink; owner/group are a name or a numeric id, or null to leave as is. */
  public static void setOwnership(Path file, String owner, String group) throws VolumeException {
    if (owner == null && group == null) {
      return;
    }
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
    try {
      if (owner != null) {
        view.setOwner(lookupUser(lookup, owner));
      }
      if (group != null) {
        view.setGroup(lookupGroup(lookup, group));
      }
    } catch (IOException e) {
      throw ioError("Cannot change the owner of " + file, e);
    }
  }

  private static UserPrincipal lookupUser(UserPrincipalLookupService lookup, String owner) throws VolumeException, IOException {
    try {
      return lookup.lookupPrincipalByName(checkedId(owner, "owner")); // numeric ids are accepted as they are
    } catch (UserPrincipalNotFoundException e) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "Unknown owner '" + owner
          + "': give a user name that exists on this host or a numeric uid.");
    }
  }

  private static GroupPrincipal lookupGroup(UserPrincipalLookupService lookup, String group) throws VolumeException, IOException {
    try {
      return lookup.lookupPrincipalByGroupName(checkedId(group, "group"));
    } catch (UserPrincipalNotFoundException e) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "Unknown group '" + group
          + "': give a group name that exists on this host or a numeric gid.");
    }
  }

  private static String checkedId(String id, String what) throws VolumeException {
    if (id.isEmpty() || id.startsWith("-")) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "The " + what + " '" + id
          + "' is not valid: give a name that exists on this host or a non-negative number.");
    }
    return id;
  }

  // ---- publishing and deleting --------------------------------------------------------------

  /** fsync the file, rename it to finalPath without replacing anything (ALREADY_EXISTS), then fsync the folder. */
  public static void publish(Path temp, Path finalPath) throws VolumeException {
    try {
      sync(temp);
      renameNoReplace(temp, finalPath);
      syncDirectory(finalPath.getParent());
      if (!temp.getParent().equals(finalPath.getParent())) {
        syncDirectory(temp.getParent());
      }
    } catch (IOException e) {
      throw ioError("Cannot publish " + temp + " as " + finalPath, e);
    }
  }

  /** fsync a file's data and metadata (cheap when nothing is dirty). */
  public static void sync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ch.force(true);
    }
  }

  private static void renameNoReplace(Path temp, Path finalPath) throws VolumeException, IOException {
    if (LibC.SYS_RENAMEAT2 != 0) {
      try {
        LibC.INSTANCE.syscall(LibC.SYS_RENAMEAT2, LibC.AT_FDCWD, temp.toString(), LibC.AT_FDCWD,
            finalPath.toString(), LibC.RENAME_NOREPLACE);
        return;
      } catch (LastErrorException e) {
        int errno = e.getErrorCode();
        if (errno == LibC.EEXIST) {
          throw alreadyExists(finalPath);
        }
        // ENOSYS: old kernel; EINVAL: the file system cannot do RENAME_NOREPLACE. Anything else is real.
        if (errno != LibC.ENOSYS && errno != LibC.EINVAL) {
          throw errnoError(errno, "Cannot rename " + temp + " to " + finalPath);
        }
        log.debug("renameat2 unavailable ({}), falling back to check and move", LibC.describe(errno));
      }
    }
    // Fallback: check, then atomic rename. Only volumed writes into a pool and the ledger serialises
    // names, so the window between the two is not reachable by another volumed request.
    if (Files.exists(finalPath, LinkOption.NOFOLLOW_LINKS)) {
      throw alreadyExists(finalPath);
    }
    Files.move(temp, finalPath, StandardCopyOption.ATOMIC_MOVE);
  }

  private static VolumeException alreadyExists(Path finalPath) {
    return new VolumeException(ErrorCode.ALREADY_EXISTS, "Something already exists at " + finalPath
        + " and was left as it is; delete it first or choose another name.");
  }

  /** unlink (never following a symlink) and fsync the folder; missing => NOT_FOUND. */
  public static void deleteDurably(Path file) throws VolumeException {
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (attrs.isDirectory()) {
        throw new VolumeException(ErrorCode.INVALID_NAME, file + " is a folder, not an image; nothing was deleted.");
      }
      Files.delete(file); // unlink(2): removes a symlink itself, never its target
      syncDirectory(file.getParent());
    } catch (NoSuchFileException e) {
      throw new VolumeException(ErrorCode.NOT_FOUND, "There is no image at " + file + ".");
    } catch (IOException e) {
      throw ioError("Cannot delete " + file, e);
    }
  }

  /** Silent best-effort removal used for rollback (no exception). */
  public static void removeQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException | RuntimeException e) {
      log.debug("Could not remove {}: {}", file, e.toString());
    }
  }

  /** fsync a folder, so a rename or unlink in it survives a crash. */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** st_blocks * 512: the bytes really on disk. Does not follow a symlink. */
  public static long allocatedBytes(Path file) throws IOException {
    // statx has the same struct layout on every architecture, unlike struct stat.
    try (Memory buf = new Memory(LibC.STATX_STRUCT_SIZE)) {
      buf.clear();
      LibC.INSTANCE.statx(LibC.AT_FDCWD, file.toString(), LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BLOCKS, buf);
      return buf.getLong(LibC.STATX_BLOCKS_OFFSET) * 512;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        throw new NoSuchFileException(file.toString());
      }
      throw new IOException("statx " + file + ": " + LibC.describe(e.getErrorCode()), e);
    }
  }

  // ---- errors -------------------------------------------------------------------------------

  private static VolumeException spaceOrIo(int errno, String what) {
    if (errno == LibC.ENOSPC || errno == LibC.EDQUOT) {
      return new VolumeException(ErrorCode.INSUFFICIENT_SPACE, what + ": " + LibC.describe(errno)
          + ". Free space in the pool, choose a smaller size, or use allocation \"sparse\".");
    }
    return errnoError(errno, what);
  }

  private static VolumeException errnoError(int errno, String what) {
    if (errno == LibC.EACCES || errno == LibC.EPERM) {
      return new VolumeException(ErrorCode.PERMISSION_DENIED, what + ": " + LibC.describe(errno) + ".");
    }
    if (errno == LibC.ELOOP) {
      return new VolumeException(ErrorCode.PERMISSION_DENIED, what + ": it is a symbolic link, which volumed never follows.");
    }
    if (errno == LibC.EFBIG) {
      return new VolumeException(ErrorCode.BAD_REQUEST, what + ": larger than the pool's file system allows for one file.");
    }
    return new VolumeException(ErrorCode.IO_ERROR, what + ": " + LibC.describe(errno) + ".");
  }

  private static VolumeException ioError(String what, IOException e) {
    return new VolumeException(ErrorCode.IO_ERROR, what + ": " + e.getMessage(), e);
  }

  private static void closeQuietly(int fd) {
    try {
      LibC.INSTANCE.close(fd);
    } catch (LastErrorException e) {
      log.debug("close({}) failed: {}", fd, LibC.describe(e.getErrorCode()));
    }
  }
}

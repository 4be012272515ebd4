package dev.volumed.disk;

import dev.volumed.model.Allocation;
import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import dev.volumed.model.ErrorCode;
import dev.volumed.settings.HostIds;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocking file operations on images. Names under a pool are always reached through {@link PoolDir}
 * (one component at a time, never following a symlink) and files through the descriptor that made them
 * ({@link OpenImage}), so nothing is checked by name and then used by name. Every method blocks;
 * callers run them on a blocking dispatcher.
 */
public final class ImageFiles {
  private static final Logger log = LoggerFactory.getLogger(ImageFiles.class);

  private static final String TEMP_MARKER = ".volumed-tmp-";
  private static final int ZERO_BLOCK_BYTES = 4 << 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  private ImageFiles() {}

  // ---- names ------------------------------------------------------------------------------

  /**
   * Checks a (pre-validated) relative name like "vm1/var.img" under poolRoot the way every operation
   * reaches it: one component at a time from the pool root's descriptor, never following a symlink
   * (see {@link PoolDir#walk}). A symlink anywhere, the final name included, is PERMISSION_DENIED; when
   * createParents, missing parent folders are created (mode 0755). The pool root itself is the
   * operator's choice and is not checked. The returned path is for display: operations that write do
   * not use it, they walk again and keep the folder's descriptor.
   */
  public static Path resolve(Path poolRoot, String name, boolean createParents) throws VolumeException {
    try (PoolDir folder = PoolDir.walk(poolRoot, name, createParents)) {
      folder.refuseSymlink(leafOf(name), name);
      return folder.pathOf(leafOf(name));
    } catch (VolumeException e) {
      if (e.code() != ErrorCode.NOT_FOUND || createParents) {
        throw e;
      }
      return poolRoot.toAbsolutePath().normalize().resolve(name);
    }
  }

  static String[] checkedSegments(String name) throws VolumeException {
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

  /** The last segment of a relative name: "var.img" of "vm1/var.img". */
  static String leafOf(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  private static VolumeException invalidName(String name) {
    return new VolumeException(ErrorCode.INVALID_NAME, "The name '" + name + "' is not a relative path inside the pool: "
        + "use 1 to 4 segments like 'vm1/var.img', without '.', '..', empty segments or a leading '/'.");
  }

  /** Temporary name in the same folder, hidden so it is never a valid volume name. */
  public static Path tempPathFor(Path finalPath) {
    return finalPath.resolveSibling(tempNameFor(finalPath.getFileName().toString()));
  }

  /** ".var.img.volumed-tmp-<16 hex digits>" for "var.img". */
  static String tempNameFor(String leaf) {
    byte[] suffix = new byte[8];
    RANDOM.nextBytes(suffix);
    return "." + leaf + TEMP_MARKER + HexFormat.of().formatHex(suffix);
  }

  /** True for names made by {@link #tempPathFor}: leftovers of an interrupted creation. */
  public static boolean isTempName(String fileName) {
    return fileName.startsWith(".") && fileName.contains(TEMP_MARKER);
  }

  // ---- files in a pool, by name -------------------------------------------------------------

  /** Removes the folders of name (not its last segment) that are empty, deepest first, up to the pool root. */
  public static void pruneEmptyFolders(Path poolRoot, String name) {
    String[] segments;
    try {
      segments = checkedSegments(name);
    } catch (VolumeException e) {
      return;
    }
    List<PoolDir> chain = new ArrayList<>(); // chain.get(i) holds the folder segments[i]
    try {
      chain.add(PoolDir.open(poolRoot));
      for (int i = 0; i < segments.length - 2; i++) {
        chain.add(chain.get(i).child(segments[i], false, name));
      }
      for (int i = segments.length - 2; i >= 0; i--) {
        if (!chain.get(i).removeEmptyFolder(segments[i])) {
          break;
        }
      }
    } catch (VolumeException | RuntimeException e) {
      log.debug("Not pruning the folders of {}: {}", name, e.getMessage());
    } finally {
      chain.forEach(PoolDir::close);
    }
  }

  /**
   * Writes a small file durably at name under the pool (folders made as needed): a temporary file,
   * fsync, rename over name, fsync the folder. Never follows a symlink.
   */
  public static void writeDurably(Path poolRoot, String name, byte[] bytes) throws VolumeException {
    write(poolRoot, name, bytes, true);
  }

  /**
   * The same without the fsyncs, for a batch that flushes its whole file system once afterwards
   * ({@link #syncFileSystem}): the rename still makes the file appear whole or not at all.
   */
  public static void write(Path poolRoot, String name, byte[] bytes, boolean durably) throws VolumeException {
    String leaf = leafOf(name);
    try (PoolDir folder = PoolDir.walk(poolRoot, name, true)) {
      String temp = tempNameFor(leaf);
      try (OpenImage file = folder.createFile(temp)) {
        file.write(bytes);
        if (durably) {
          file.sync();
        }
        folder.renameReplacing(temp, leaf);
      } catch (VolumeException | RuntimeException e) {
        folder.unlinkQuietly(temp);
        throw e;
      }
      if (durably) {
        folder.sync();
      }
    }
  }

  /** syncfs(2) on the file system that holds the pool: every dirty block and rename of it reaches the disk. */
  public static void syncFileSystem(Path poolRoot) throws VolumeException {
    int fd;
    try {
      fd = LibC.INSTANCE.openat(LibC.AT_FDCWD, poolRoot.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw errnoError(e.getErrorCode(), "Cannot open the pool " + poolRoot + " to flush it");
    }
    try {
      LibC.INSTANCE.syncfs(fd);
    } catch (LastErrorException e) {
      throw errnoError(e.getErrorCode(), "Cannot flush the file system of " + poolRoot);
    } finally {
      PoolDir.Descriptor.closeQuietly(fd);
    }
  }

  /** Unlinks name under the pool (the entry itself, never a link's target) and fsyncs its folder; false when absent. */
  public static boolean deleteDurably(Path poolRoot, String name) throws VolumeException {
    try (PoolDir folder = PoolDir.walk(poolRoot, name, false)) {
      if (!folder.unlink(leafOf(name))) {
        return false;
      }
      folder.sync();
      return true;
    } catch (VolumeException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  /** st_blocks * 512 of name under the pool, reached without following any symlink. */
  public static long allocatedBytes(Path poolRoot, String name) throws IOException {
    try (PoolDir folder = PoolDir.walk(poolRoot, name, false)) {
      Optional<PoolDir.Entry> entry = folder.entry(leafOf(name));
      if (entry.isEmpty()) {
        throw new NoSuchFileException(folder.pathOf(leafOf(name)).toString());
      }
      return entry.get().blocks() * 512;
    } catch (VolumeException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        throw new NoSuchFileException(poolRoot.resolve(name).toString());
      }
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * st_blocks * 512: the bytes really on disk. Does not follow a symlink at the last component; the
   * folders above are resolved by path, so this is for measuring only (it reads, never writes).
   */
  public static long allocatedBytes(Path file) throws IOException {
    try {
      return PoolDir.statx(LibC.AT_FDCWD, file.toString(), LibC.AT_SYMLINK_NOFOLLOW).blocks() * 512;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        throw new NoSuchFileException(file.toString());
      }
      throw new IOException("statx " + file + ": " + LibC.describe(e.getErrorCode()), e);
    }
  }

  // ---- single files by path (the folder is trusted like a pool root; for tools and tests) -----

  /**
   * Creates a new image at path and sizes it (see {@link PoolDir#createImage}); the folder holding it
   * is opened by path, the file itself is never reached through a symlink.
   */
  static void allocate(Path path, long size, Allocation allocation, Set<PosixFilePermission> mode)
      throws VolumeException {
    try (PoolDir folder = PoolDir.open(path.toAbsolutePath().getParent());
         OpenImage image = folder.createImage(path.getFileName().toString(), size, allocation, mode)) {
      image.sync();
    }
  }

  /** chown/chgrp without following a symlink; owner/group are a name or a numeric id, or null to leave as is. */
  static void setOwnership(Path file, String owner, String group) throws VolumeException {
    int fd;
    try {
      fd = LibC.INSTANCE.open(file.toString(), LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw errnoError(e.getErrorCode(), "Cannot open " + file);
    }
    try {
      fchown(fd, file, owner, group);
    } finally {
      PoolDir.Descriptor.closeQuietly(fd);
    }
  }

  /** Renames temp to finalPath in their (common) folder without replacing anything, then fsyncs the folder. */
  static void publish(Path temp, Path finalPath) throws VolumeException {
    if (!temp.toAbsolutePath().getParent().equals(finalPath.toAbsolutePath().getParent())) {
      throw new IllegalArgumentException(temp + " and " + finalPath + " are not in the same folder");
    }
    try (PoolDir folder = PoolDir.open(finalPath.toAbsolutePath().getParent())) {
      folder.renameNoReplace(temp.getFileName().toString(), finalPath.getFileName().toString());
      folder.sync();
    }
  }

  /** Unlinks file (never following a symlink) and fsyncs its folder; missing => NOT_FOUND. */
  static void deleteDurably(Path file) throws VolumeException {
    try (PoolDir folder = PoolDir.open(file.toAbsolutePath().getParent())) {
      if (!folder.unlink(file.getFileName().toString())) {
        throw new VolumeException(ErrorCode.NOT_FOUND, "There is no image at " + file + ".");
      }
      folder.sync();
    }
  }

  // ---- steps on an open file ----------------------------------------------------------------

  /** chattr +C on the empty file, so a CoW host (btrfs) does not fragment VM writes. */
  static void setNoCow(int fd, Path path) {
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

  static void fchmod(int fd, Path path, Set<PosixFilePermission> mode) throws VolumeException {
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

  static void truncate(int fd, Path path, long size) throws VolumeException {
    try {
      LibC.INSTANCE.ftruncate(fd, size);
    } catch (LastErrorException e) {
      throw spaceOrIo(e.getErrorCode(), "Cannot set the size of " + path + " to " + size + " bytes");
    }
  }

  static void fallocate(int fd, Path path, long size) throws VolumeException {
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

  static void writeZeros(int fd, Path path, long size) throws VolumeException {
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

  /** fchown through the descriptor; owner/group are a name or a numeric id, or null to leave as is. */
  static void fchown(int fd, Path path, String owner, String group) throws VolumeException {
    if (owner == null && group == null) {
      return;
    }
    int uid = owner == null ? -1 : HostIds.idOf(owner, true);
    int gid = group == null ? -1 : HostIds.idOf(group, false);
    try {
      LibC.INSTANCE.fchown(fd, uid, gid);
    } catch (LastErrorException e) {
      throw errnoError(e.getErrorCode(), "Cannot change the owner of " + path);
    }
  }

  // ---- errors -------------------------------------------------------------------------------

  static VolumeException spaceOrIo(int errno, String what) {
    if (errno == LibC.ENOSPC || errno == LibC.EDQUOT) {
      return new VolumeException(ErrorCode.INSUFFICIENT_SPACE, what + ": " + LibC.describe(errno)
          + ". Free space in the pool, choose a smaller size, or use allocation \"sparse\".");
    }
    return errnoError(errno, what);
  }

  static VolumeException errnoError(int errno, String what) {
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
}

package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Steps on single files by path, for tests: each folder is opened by its path (trusted like a pool
 * root) and then worked on through descriptors with the daemon's own {@link PoolDir}, {@link PoolWalk}
 * and {@link OpenImage}.
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

  /**
   * name under poolRoot reached as every operation reaches it ({@link PoolWalk#walk}, the last segment
   * refused when a symlink); the path is for display. Missing folders are made when createParents.
   */
  static Path resolve(Path poolRoot, String name, boolean createParents) throws VolumeException {
    try (PoolDir folder = PoolWalk.walk(poolRoot, name, createParents)) {
      PoolWalk.refuseSymlink(folder, PoolWalk.leafOf(name), name);
      return folder.pathOf(PoolWalk.leafOf(name));
    } catch (VolumeException e) {
      if (e.code() != ErrorCode.NOT_FOUND || createParents) {
        throw e;
      }
      return poolRoot.toAbsolutePath().normalize().resolve(name);
    }
  }

  /** chown/chgrp of file through a descriptor opened without following a symlink. */
  static void setOwnership(Path file, String owner, String group) throws VolumeException {
    int fd;
    try {
      fd = LibC.INSTANCE.open(file.toString(), LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot open " + file);
    }
    try (OpenImage image = new OpenImage(fd, file)) {
      image.setOwnership(owner, group);
    }
  }

  /** Renames temp to finalPath in their (common) folder without replacing anything, then fsyncs the folder. */
  static void publish(Path temp, Path finalPath) throws VolumeException {
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
}

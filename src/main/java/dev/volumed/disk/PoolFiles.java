package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Steps on one name under a pool's root (write a small file, delete, prune empty folders, look at an
 * entry), each reaching it by a {@link PoolWalk} that never follows a symlink, and a flush of the
 * pool's whole file system. Every method blocks.
 */
final class PoolFiles {
  private static final Logger log = LoggerFactory.getLogger(PoolFiles.class);

  private PoolFiles() {}

  /**
   * Writes a small file at name under the pool (folders made as needed): a temporary file, then a rename
   * over name, so it appears whole or not at all. When durably, the file is fsynced before the rename
   * and its folder after it; without, a later {@link #syncFileSystem} flushes a whole batch at once.
   */
  static void write(Path poolRoot, String name, byte[] bytes, boolean durably) throws VolumeException {
    String leaf = PoolWalk.leafOf(name);
    try (PoolDir folder = PoolWalk.walk(poolRoot, name, true)) {
      String temp = TempNames.forLeaf(leaf);
      try (OpenImage file = OpenImage.createEmpty(folder, temp)) {
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
  static void syncFileSystem(Path poolRoot) throws VolumeException {
    int fd;
    try {
      fd = LibC.INSTANCE.openat(LibC.AT_FDCWD, poolRoot.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot open the pool " + poolRoot + " to flush it");
    }
    try {
      LibC.INSTANCE.syncfs(fd);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot flush the file system of " + poolRoot);
    } finally {
      Descriptor.closeQuietly(fd);
    }
  }

  /** Unlinks name under the pool (the entry itself, never a link's target) and fsyncs its folder; false when absent. */
  static boolean deleteDurably(Path poolRoot, String name) throws VolumeException {
    try (PoolDir folder = PoolWalk.walk(poolRoot, name, false)) {
      if (!folder.unlink(PoolWalk.leafOf(name))) {
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

  /** Removes the folders of name (not its last segment) that are empty, deepest first, up to the pool root. */
  static void pruneEmptyFolders(Path poolRoot, String name) {
    String[] segments;
    try {
      segments = PoolWalk.segments(name);
    } catch (VolumeException e) {
      return;
    }
    List<PoolDir> chain = new ArrayList<>(); // chain.get(i) holds the folder segments[i]
    try {
      chain.add(PoolDir.open(poolRoot));
      for (int i = 0; i < segments.length - 2; i++) {
        chain.add(PoolWalk.child(chain.get(i), segments[i], false, name));
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
   * What statx tells of the entry at name under the pool, never followed, or empty when nothing is
   * there (a folder on the way missing included).
   */
  static Optional<Entry> entry(Path poolRoot, String name) throws VolumeException {
    try (PoolDir folder = PoolWalk.walk(poolRoot, name, false)) {
      return folder.entry(PoolWalk.leafOf(name));
    } catch (VolumeException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }
}

package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Names;
import dev.volumed.model.VolumeException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How a name under a pool is reached: from the pool's root one component at a time with
 * {@code openat(O_NOFOLLOW|O_DIRECTORY)}, so a symlink anywhere under the root is refused, never
 * followed, and what is reached is a {@link PoolDir} held by its descriptor. Every method blocks.
 */
public final class PoolWalk {
  /** A name-only descriptor: enough for *at calls and statx, needs no read permission on the folder. */
  private static final int WALK_FLAGS = LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;
  private static final int FOLDER_MODE = 0755;

  private PoolWalk() {}

  /**
   * Walks from the pool's root to the folder that holds the last segment of name (a relative name like
   * "vm1/var.img", checked here). A symlink is PERMISSION_DENIED and a file where a folder is needed is
   * INVALID_NAME, both naming the component; a missing folder is made (mode 0755) when createParents,
   * else NOT_FOUND.
   */
  public static PoolDir walk(Path root, String name, boolean createParents) throws VolumeException {
    String[] segments = segments(name);
    return walk(root, segments, segments.length - 1, name, createParents);
  }

  /** Like {@link #walk}, to the folder named by every segment of name (made as needed when create). */
  public static PoolDir walkToFolder(Path root, String name, boolean create) throws VolumeException {
    String[] segments = segments(name);
    return walk(root, segments, segments.length, name, create);
  }

  /** The segments of name, which must stay inside the pool ({@link Names#pathProblem}): else INVALID_NAME. */
  static String[] segments(String name) throws VolumeException {
    String problem = Names.pathProblem(name);
    if (problem != null) {
      throw new VolumeException(ErrorCode.INVALID_NAME, problem);
    }
    return name.split("/", -1);
  }

  /** The last segment of a relative name: "var.img" of "vm1/var.img". */
  static String leafOf(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  private static PoolDir walk(Path root, String[] segments, int depth, String name, boolean create)
      throws VolumeException {
    PoolDir current = PoolDir.open(root);
    try {
      for (int i = 0; i < depth; i++) {
        PoolDir next = child(current, segments[i], create, name);
        current.close();
        current = next;
      }
      return current;
    } catch (VolumeException | RuntimeException e) {
      current.close();
      throw e;
    }
  }

  /** The folder named segment in parent, never through a symlink; made first when create and missing. */
  static PoolDir child(PoolDir parent, String segment, boolean create, String name) throws VolumeException {
    for (int attempt = 0; ; attempt++) {
      try {
        return new PoolDir(LibC.INSTANCE.openat(parent.fd(), segment, WALK_FLAGS, 0), parent.pathOf(segment));
      } catch (LastErrorException e) {
        if (e.getErrorCode() == LibC.ENOENT && create && attempt < 3) {
          Optional<PoolDir> made = makeFolder(parent, segment, name);
          if (made.isPresent()) {
            return made.get();
          }
          continue; // made by someone else meanwhile: open what is there now, again without following
        }
        throw componentError(parent, e.getErrorCode(), segment, name, false);
      }
    }
  }

  /** mkdirat, then open the new folder without following and set its mode; empty when it already exists. */
  private static Optional<PoolDir> makeFolder(PoolDir parent, String segment, String name) throws VolumeException {
    try {
      LibC.INSTANCE.mkdirat(parent.fd(), segment, FOLDER_MODE);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.EEXIST) {
        return Optional.empty();
      }
      throw Errors.errno(e.getErrorCode(), "Cannot create the folder " + parent.pathOf(segment));
    }
    int folder;
    try {
      // A real descriptor (not O_PATH) so that fchmod works; it serves as a dirfd all the same.
      folder = LibC.INSTANCE.openat(parent.fd(), segment,
          LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        return Optional.empty(); // pruned by a failed volume right after mkdirat: try again
      }
      throw componentError(parent, e.getErrorCode(), segment, name, false); // swapped right after mkdirat
    }
    PoolDir made = new PoolDir(folder, parent.pathOf(segment));
    try {
      LibC.INSTANCE.fchmod(folder, FOLDER_MODE); // exactly 0755, whatever the umask
      parent.sync();
      return Optional.of(made);
    } catch (LastErrorException e) {
      made.close();
      throw Errors.errno(e.getErrorCode(), "Cannot set the mode of the folder " + parent.pathOf(segment));
    } catch (VolumeException | RuntimeException e) {
      made.close();
      throw e;
    }
  }

  /** PERMISSION_DENIED when leaf (the last segment of name) in folder is a symlink. */
  static void refuseSymlink(PoolDir folder, String leaf, String name) throws VolumeException {
    if (folder.entry(leaf).map(Entry::isSymlink).orElse(false)) {
      throw componentError(folder, LibC.ELOOP, leaf, name, true);
    }
  }

  private static VolumeException componentError(PoolDir in, int errno, String segment, String name, boolean last) {
    Path p = in.pathOf(segment);
    // O_NOFOLLOW|O_DIRECTORY on a symlink is ENOTDIR (ELOOP without O_DIRECTORY). If the entry is a folder
    // by now, it was something else a moment ago: a link swapped back, which is refused the same way.
    boolean symlink = errno == LibC.ELOOP || errno == LibC.ENOTDIR && isLinkOrFolderNow(in, segment);
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
    return Errors.errno(errno, "Cannot open the folder " + p);
  }

  private static boolean isLinkOrFolderNow(PoolDir in, String leaf) {
    try {
      Entry entry = Entry.statx(in.fd(), leaf, LibC.AT_SYMLINK_NOFOLLOW);
      return entry.isSymlink() || entry.isFolder();
    } catch (LastErrorException e) {
      return false;
    }
  }
}

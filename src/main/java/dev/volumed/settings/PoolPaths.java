package dev.volumed.settings;

import com.typesafe.config.ConfigUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the pools and the socket really are. Two pools may not share a folder or lie one inside
 * the other (the outer one would list and delete the inner one's images while the inner one still
 * counts them), and the socket may not lie inside a pool (a pool folder holds only the pool's
 * files). Compared by real path, symlinks resolved, so that two spellings of one folder are one
 * folder; nothing is created for it.
 */
final class PoolPaths {
  private PoolPaths() {}

  /** Paths that could not be read (null) were already reported and are left out. */
  static void check(ConfigReader volumed, Path socket, List<PoolSettings> pools) {
    List<Path> real = new ArrayList<>();
    for (PoolSettings pool : pools) {
      Path path = pool.path() == null ? null : realPath(volumed, key(pool), pool.path());
      real.add(path == null ? null : folderOrNull(volumed, key(pool), pool.path(), path));
    }
    for (int i = 0; i < pools.size(); i++) {
      for (int j = i + 1; j < pools.size(); j++) {
        Path a = real.get(i);
        Path b = real.get(j);
        if (a == null || b == null || !(a.startsWith(b) || b.startsWith(a))) {
          continue;
        }
        String how = a.equals(b) ? "are the same folder " + a
            : (a.startsWith(b) ? b + " holds " + a : a + " holds " + b);
        volumed.problems().add(volumed.name(key(pools.get(i))) + " = " + pools.get(i).path() + " and "
            + volumed.name(key(pools.get(j))) + " = " + pools.get(j).path() + ": pools " + pools.get(i).name()
            + " and " + pools.get(j).name() + " overlap (" + how + "); give each pool a folder of its own,"
            + " not inside another pool's");
      }
    }
    Path realSocket = socket == null ? null : realPath(volumed, "socket.path", socket);
    for (int i = 0; i < pools.size(); i++) {
      if (realSocket != null && real.get(i) != null && realSocket.startsWith(real.get(i))) {
        volumed.problems().add(volumed.name("socket.path") + " = " + socket + ": is inside the folder of pool "
            + pools.get(i).name() + " (" + real.get(i) + "); put the socket outside every pool folder,"
            + " which holds only the pool's images");
      }
    }
  }

  /**
   * A pool's folder is a folder, or will be made inside one: a path at or under a file (or
   * anything else that is not a folder) could never be opened, so it is refused now.
   */
  private static Path folderOrNull(ConfigReader volumed, String key, Path written, Path real) {
    Path existing = real;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || Files.isDirectory(existing)) {
      return real;
    }
    volumed.problems().add(volumed.name(key) + " = " + written + ": " + (existing.equals(real) ? "is not a folder"
        : "lies under " + existing + ", which is not a folder") + "; give the folder that holds (or will hold)"
        + " the pool's images");
    return null;
  }

  private static String key(PoolSettings pool) {
    return "pools." + ConfigUtil.joinPath(pool.name()) + ".path";
  }

  /**
   * The real path of the longest prefix of {@code path} that exists, with the rest appended as
   * written: a pool folder that does not exist yet is where it will be made. Null (and a
   * problem) when the existing part cannot be resolved.
   */
  static Path realPath(ConfigReader volumed, String key, Path path) {
    Path existing = path;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return path;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(path));
    } catch (IOException e) {
      volumed.problems().add(volumed.name(key) + " = " + path + ": cannot be resolved (" + e.getMessage()
          + "); volumed must be able to reach it");
      return null;
    }
  }
}

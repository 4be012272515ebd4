package dev.volumed.disk;

import dev.volumed.model.VolumeException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One pass over many names of a pool (a refresh, a list): each folder is walked to from the pool's
 * root once, never through a symlink, and what the walk found (the open folder, or why it could not
 * be reached) serves every name in it. Closing the pass closes the folders.
 */
final class Folders implements AutoCloseable {
  private final Path root;
  /** "vm1" of "vm1/root.img" ("" for the root): the open folder, or the refusal of its walk. */
  private final Map<String, Object> walked = new HashMap<>();

  Folders(Path root) {
    this.root = root;
  }

  /** What is at the name now, without following a symlink; empty when nothing is. */
  Optional<Entry> entry(String name) throws VolumeException {
    String parent = name.substring(0, Math.max(0, name.lastIndexOf('/')));
    Object folder = walked.computeIfAbsent(parent, p -> {
      try {
        return PoolWalk.walk(root, name, false);
      } catch (VolumeException e) {
        return e;
      }
    });
    if (folder instanceof VolumeException refused) {
      throw refused;
    }
    return ((PoolDir) folder).entry(PoolWalk.leafOf(name));
  }

  @Override
  public void close() {
    walked.values().forEach(folder -> {
      if (folder instanceof PoolDir open) {
        open.close();
      }
    });
  }
}

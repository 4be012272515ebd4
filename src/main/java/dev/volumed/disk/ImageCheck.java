package dev.volumed.disk;

import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether an image on disk is what its metadata says. The rule: it is a regular file, its length is
 * the volume's size, and for {@code fallocate} and {@code full} every byte has a block
 * ({@code st_blocks × 512 ≥ size}). Anything else is damage, described for a person; start-up and
 * every refresh ask this same question.
 */
public final class ImageCheck {
  private ImageCheck() {}

  /** What is wrong with the image of spec, given what statx found at its name (empty: nothing there). */
  static Optional<String> damage(VolumeSpec spec, Optional<Entry> found) {
    if (found.isEmpty()) {
      return Optional.of("the image is gone: there is nothing at its name");
    }
    Entry entry = found.get();
    if (entry.isFolder()) {
      return Optional.of("the image is a folder, not a file");
    }
    if (entry.isSymlink()) {
      return Optional.of("the image is a symbolic link, which volumed never follows");
    }
    if (!entry.isRegularFile()) {
      return Optional.of("the image is not a regular file");
    }
    if (entry.size() != spec.size()) {
      return Optional.of("image is " + entry.size() + (entry.size() == 1 ? " byte" : " bytes")
          + " long, its metadata says " + spec.size());
    }
    long allocated = entry.allocatedBytes();
    if (spec.allocation().reservesBlocks() && allocated < spec.size()) {
      return Optional.of("image has " + allocated + " of its " + spec.size() + " bytes allocated on disk,"
          + " but its metadata says allocation " + spec.allocation().wireName() + " (every block allocated)");
    }
    return Optional.empty();
  }

  /** What a check found: the blocks in use and the damage, if any. */
  public record Result(long allocatedBytes, Optional<String> damage) {}

  /**
   * Checks the image of spec under the pool, reached without following any symlink. A folder on the
   * way that is a symlink or a file, or an image that cannot be inspected, is damage too.
   */
  static Result check(Path root, VolumeSpec spec) {
    try (Folders folders = new Folders(root)) {
      return check(folders, spec);
    }
  }

  /** {@link #check(Path, VolumeSpec)} within a pass that walks to each folder once. */
  static Result check(Folders folders, VolumeSpec spec) {
    Optional<Entry> entry;
    try {
      entry = folders.entry(spec.name());
    } catch (VolumeException e) {
      if (e.code() != ErrorCode.NOT_FOUND) {
        return new Result(0, Optional.of("cannot inspect the image: " + e.getMessage()));
      }
      entry = Optional.empty();
    }
    return new Result(entry.map(Entry::allocatedBytes).orElse(0L), damage(spec, entry));
  }
}

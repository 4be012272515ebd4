package dev.volumed.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the file system holding a pool can do, as a probe with scratch files found it at start-up:
 * {@code holes} (a file truncated longer takes no blocks: sparse volumes cost only what is
 * written), {@code fallocate} (blocks reserved without writing), {@code reflink} (FICLONE shares
 * blocks between files) and {@code nocow} (FS_NOCOW_FL sticks: a CoW file system that can be told
 * not to copy VM writes).
 */
public record Capabilities(boolean holes, boolean fallocate, boolean reflink, boolean nocow) {

  /** What is assumed where the probe could not run: nothing is refused for it, each op reports its own errors. */
  public static final Capabilities ASSUMED = new Capabilities(true, true, false, false);

  /**
   * Why volumes of this allocation cannot be made here, or empty when they can: sparse needs
   * holes (else a "sparse" image silently costs its full size), fallocate needs fallocate; full
   * is zeros written, which every file system takes.
   */
  public Optional<String> cannot(Allocation allocation) {
    return switch (allocation) {
      case SPARSE -> holes ? Optional.empty() : Optional.of("cannot make holes (a sparse image would take its full"
          + " size at once)");
      case FALLOCATE -> fallocate ? Optional.empty() : Optional.of("does not support fallocate");
      case FULL -> Optional.empty();
    };
  }

  /** The allocations that can be made here, as a refusal names them: "fallocate or full". */
  public String possible() {
    List<String> names = new ArrayList<>();
    for (Allocation allocation : Allocation.values()) {
      if (cannot(allocation).isEmpty()) {
        names.add("\"" + allocation.wireName() + "\"");
      }
    }
    return names.size() == 1 ? names.get(0)
        : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
  }
}

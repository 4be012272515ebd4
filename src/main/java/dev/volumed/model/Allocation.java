package dev.volumed.model;

import java.util.Locale;
import java.util.Optional;

/** How the blocks of a new image are obtained; fallocate and full volumes count as committed space. */
public enum Allocation {
  /** Truncate to size: blocks are allocated when written. */
  SPARSE,
  /** fallocate(2): every block reserved now, reading as zeros. */
  FALLOCATE,
  /** Every byte written with zeros. */
  FULL;

  /** The name used on the wire and in configuration: "sparse", "fallocate", "full". */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The allocation with this wire name, or empty when there is none (names are case-sensitive). */
  public static Optional<Allocation> fromWire(String s) {
    for (Allocation a : values()) {
      if (a.wireName().equals(s)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  /** True when the image holds all of its blocks on disk from the start. */
  public boolean reservesBlocks() {
    return this != SPARSE;
  }
}

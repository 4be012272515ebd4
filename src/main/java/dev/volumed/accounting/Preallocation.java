package dev.volumed.accounting;

/**
 * A sparse volume about to get all its blocks ({@code preallocate}): its {@code size} joins the
 * committed bytes, and {@code size − allocated} (the blocks it does not have yet) must be free on
 * disk; its provisioned size does not change.
 *
 * @param allocated the bytes its image had on disk when it was asked (st_blocks × 512)
 */
public record Preallocation(String name, long size, long allocated) {

  /** The blocks still to be taken: never negative (an image can hold more than its size in metadata). */
  public long need() {
    return Math.max(0, size - allocated);
  }
}

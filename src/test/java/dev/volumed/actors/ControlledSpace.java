package dev.volumed.actors;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link SpaceProbe} whose figures the test sets, so the file-system rules can be tried at
 * exact byte boundaries. The ledger reads it on its own thread; the figures are swapped atomically.
 */
final class ControlledSpace implements SpaceProbe {
  private final AtomicReference<Space> space;

  ControlledSpace(long total, long free) {
    this.space = new AtomicReference<>(new Space(total, free));
  }

  /** What the file system reports from now on (blocks taken or given back outside the ledger). */
  void set(long total, long free) {
    space.set(new Space(total, free));
  }

  void setFree(long free) {
    space.updateAndGet(s -> new Space(s.total(), free));
  }

  @Override
  public Space read() {
    return space.get();
  }
}

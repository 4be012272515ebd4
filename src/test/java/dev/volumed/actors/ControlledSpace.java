package dev.volumed.actors;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link SpaceProbe} whose figures the test sets, so the file-system rules can be tried at
 * exact byte boundaries. The ledger reads it on its own thread; the figures are swapped atomically.
 */
final class ControlledSpace implements SpaceProbe {
  private final AtomicReference<Space> space;
  /** When set, every read throws with this message, as statvfs does on a file system that went away. */
  private final AtomicReference<String> failure = new AtomicReference<>();

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

  /** From now on every read fails with this message (null: reads work again). */
  void fail(String message) {
    failure.set(message);
  }

  @Override
  public Space read() {
    String message = failure.get();
    if (message != null) {
      throw new IllegalStateException(message);
    }
    return space.get();
  }
}

package dev.volumed.disk;

import java.util.OptionalLong;

/**
 * The one pace of zeros written into published images (preallocate full, the grown range of a full
 * volume's resize): it sleeps as needed so that, since it was made, at most {@code rate} bytes were
 * written each second, and running VMs on the same disk are not starved. An empty rate: never.
 */
final class WritePacer {
  private final OptionalLong rate;
  private final long started = System.nanoTime();
  private long written;

  WritePacer(OptionalLong rate) {
    this.rate = rate;
  }

  static WritePacer unpaced() {
    return new WritePacer(OptionalLong.empty());
  }

  /** Called on the blocking thread after each write of bytes. */
  void wrote(long bytes) {
    if (rate.isEmpty()) {
      return;
    }
    written += bytes;
    long due = started + (long) (written * 1e9 / rate.getAsLong());
    long wait = due - System.nanoTime();
    if (wait > 0) {
      try {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

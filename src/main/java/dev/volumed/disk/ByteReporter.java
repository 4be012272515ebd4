package dev.volumed.disk;

/**
 * How often a change in place reports its bytes (preallocate, a resize's extend step): at each
 * hundredth of the total, never closer than 1 MiB apart, and at the end. Each report also keeps the
 * request alive, so a paced write of any size reports well within the request timeout.
 */
final class ByteReporter {
  private static final long MIN_STEP = 1 << 20;

  /** Hears done of total bytes, on the blocking thread. */
  @FunctionalInterface
  interface Sink {
    void report(long doneBytes, long totalBytes);
  }

  private final Sink sink;
  private final long total;
  private final long step;
  private long done;
  private long reported;

  ByteReporter(Sink sink, long total) {
    this.sink = sink;
    this.total = total;
    this.step = Math.max(MIN_STEP, total / 100);
  }

  /** bytes more are done. */
  void add(long bytes) {
    at(done + bytes);
  }

  /** doneBytes in all are done. */
  void at(long doneBytes) {
    done = doneBytes;
    if (done - reported >= step || done == total) {
      sink.report(done, total);
      reported = done;
    }
  }
}

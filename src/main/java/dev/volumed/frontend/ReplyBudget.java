package dev.volumed.frontend;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The reply bytes one connection may hold: lines produced for it and not yet written to its
 * socket, wherever they wait (the merge of its requests, the stream's buffers, the write).
 *
 * <p>The rule: the next request line is taken only while the bytes held, plus a reserve for each
 * request in flight, stay under the bound; the reserve is the longest line this connection has
 * produced, and at least an eighth of the bound, since a request's reply size is not known
 * until it exists. With nothing held and nothing in flight a line is always taken, so a reply
 * longer than the bound goes out alone. A client that does not read its replies stops being read.
 */
final class ReplyBudget {
  private final long bound;
  private long held;
  private int inFlight;
  private long longest;
  /** The line waiting for room (the connection takes one line at a time), or null. */
  private CompletableFuture<Void> waiting;

  ReplyBudget(long bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("a reply budget must be positive, got " + bound);
    }
    this.bound = bound;
  }

  /** Completes when the next request may start; it then counts as in flight until {@link #finished}. */
  synchronized CompletionStage<Void> admit() {
    if (waiting != null) {
      throw new IllegalStateException("one request line at a time waits for room");
    }
    if (hasRoom()) {
      inFlight++;
      return CompletableFuture.completedFuture(null);
    }
    waiting = new CompletableFuture<>();
    return waiting;
  }

  /** A line of this connection's output exists and is held until {@link #written}. */
  synchronized void produced(long bytes) {
    held += bytes;
    longest = Math.max(longest, bytes);
  }

  /** A request has produced its last line, or ended without one. */
  void finished() {
    CompletableFuture<Void> ready;
    synchronized (this) {
      inFlight--;
      ready = wake();
    }
    complete(ready);
  }

  /** Bytes of output are written to the socket. */
  void written(long bytes) {
    CompletableFuture<Void> ready;
    synchronized (this) {
      held -= bytes;
      ready = wake();
    }
    complete(ready);
  }

  synchronized long held() {
    return held;
  }

  private boolean hasRoom() {
    if (held <= 0 && inFlight == 0) {
      return true;
    }
    long reserve = Math.max(longest, bound / 8);
    return held + (inFlight + 1) * reserve <= bound;
  }

  /** The waiting line's future if it may go now (it then counts as in flight), else null. */
  private CompletableFuture<Void> wake() {
    if (waiting == null || !hasRoom()) {
      return null;
    }
    CompletableFuture<Void> ready = waiting;
    waiting = null;
    inFlight++;
    return ready;
  }

  /** Completed outside the lock: the waiting stream stage runs on. */
  private static void complete(CompletableFuture<Void> ready) {
    if (ready != null) {
      ready.complete(null);
    }
  }
}

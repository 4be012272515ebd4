package dev.volumed.frontend;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The reply bytes one connection holds: lines produced for it and not yet written to its socket,
 * wherever they wait (the merge of its requests, the stream's buffers, the write).
 *
 * <p>The rule: while they reach the bound, the connection's next request line is not read, and
 * a reply that can be long (a list of a pool) is not built; such replies are built one at a time.
 * So a client that does not read its replies stops being read, and what it is owed stays within
 * about the bound plus two long replies. With nothing held there is always room, so a reply
 * longer than the bound still goes out, alone.
 */
final class ReplyBudget {
  private final long bound;
  private long held;
  private long lastWritten = System.nanoTime();
  /** The next request line, waiting for room (the connection reads one line at a time), or null. */
  private CompletableFuture<Void> reader;
  /** Long replies waiting for their turn to be built. */
  private final Deque<CompletableFuture<Void>> builders = new ArrayDeque<>();
  private boolean building;

  ReplyBudget(long bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("a reply budget must be positive, got " + bound);
    }
    this.bound = bound;
  }

  /** Completes when the connection may read its next request line. */
  synchronized CompletionStage<Void> admit() {
    if (reader != null) {
      throw new IllegalStateException("one request line at a time waits for room");
    }
    if (held < bound) {
      return CompletableFuture.completedFuture(null);
    }
    reader = new CompletableFuture<>();
    return reader;
  }

  /** Runs work that builds a long reply when there is room for it, after the others before it. */
  <T> CompletionStage<T> whenRoom(Supplier<CompletionStage<T>> work) {
    CompletableFuture<Void> turn;
    synchronized (this) {
      if (!building && held < bound) {
        building = true;
        turn = CompletableFuture.completedFuture(null);
      } else {
        turn = new CompletableFuture<>();
        builders.add(turn);
      }
    }
    return turn.thenCompose(ready -> work.get()).whenComplete((result, failure) -> {
      List<CompletableFuture<Void>> ready;
      synchronized (this) {
        building = false;
        ready = wake();
      }
      ready.forEach(next -> next.complete(null));
    });
  }

  /** A line of this connection's output exists; it is held until {@link #written}. */
  synchronized void produced(long bytes) {
    held += bytes;
  }

  /** Bytes of output are in the socket. */
  void written(long bytes) {
    List<CompletableFuture<Void>> ready;
    synchronized (this) {
      held -= bytes;
      lastWritten = System.nanoTime();
      ready = wake();
    }
    ready.forEach(next -> next.complete(null));
  }

  synchronized long held() {
    return held;
  }

  /** True when replies are held and the client has taken none of their bytes for this long. */
  synchronized boolean unreadFor(Duration limit) {
    return held > 0 && System.nanoTime() - lastWritten > limit.toNanos();
  }

  /** What may go on now; completed outside the lock, since the waiting stages then run. */
  private List<CompletableFuture<Void>> wake() {
    List<CompletableFuture<Void>> ready = new ArrayList<>(2);
    if (held >= bound) {
      return ready;
    }
    if (reader != null) {
      ready.add(reader);
      reader = null;
    }
    if (!building && !builders.isEmpty()) {
      building = true;
      ready.add(builders.poll());
    }
    return ready;
  }
}

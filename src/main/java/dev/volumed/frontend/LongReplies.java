package dev.volumed.frontend;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Replies that take real CPU to build (a list of a pool: every image measured, thousands of
 * volumes encoded) are built at most {@code permits} at a time across all connections, in the
 * order they were asked for. Many connections asking for lists at once then queue instead of
 * taking every core, so a {@code ping} on another connection is still answered promptly.
 */
final class LongReplies {
  private final int permits;
  private int running;
  private final Deque<CompletableFuture<Void>> waiting = new ArrayDeque<>();

  LongReplies(int permits) {
    if (permits < 1) {
      throw new IllegalArgumentException("at least one long reply must be allowed at a time, got " + permits);
    }
    this.permits = permits;
  }

  /** Runs the work when a permit is free; the permit is given back when the work's stage ends. */
  <T> CompletionStage<T> run(Supplier<CompletionStage<T>> work) {
    CompletableFuture<Void> turn;
    synchronized (this) {
      if (running < permits) {
        running++;
        turn = CompletableFuture.completedFuture(null);
      } else {
        turn = new CompletableFuture<>();
        waiting.add(turn);
      }
    }
    return turn.thenCompose(ready -> work.get()).whenComplete((result, failure) -> {
      CompletableFuture<Void> next;
      synchronized (this) {
        next = waiting.poll();
        if (next == null) {
          running--;
        }
      }
      if (next != null) {
        next.complete(null); // the permit passes on, outside the lock
      }
    });
  }

  synchronized int running() {
    return running;
  }
}

package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** When a connection may read its next request line and build a long reply, by the bytes it holds. */
class ReplyBudgetTest {
  private static final long BOUND = 8000;

  @Test
  void linesAreReadWhileTheHeldBytesAreUnderTheBound() {
    ReplyBudget budget = new ReplyBudget(BOUND);
    assertTrue(budget.admit().toCompletableFuture().isDone());
    budget.produced(BOUND - 1);
    assertTrue(budget.admit().toCompletableFuture().isDone());
    budget.produced(1);
    CompletableFuture<Void> next = budget.admit().toCompletableFuture();
    assertFalse(next.isDone(), "nothing more is read while the client has not read its replies");
    budget.written(1);
    assertTrue(next.isDone(), "room again once the client has read some");
    assertEquals(BOUND - 1, budget.held());
  }

  @Test
  void aReplyLongerThanTheBoundGoesOutAloneAndThenTheNextLineIsRead() {
    ReplyBudget budget = new ReplyBudget(BOUND);
    CompletableFuture<String> built = new CompletableFuture<>();
    assertFalse(budget.whenRoom(() -> built).toCompletableFuture().isDone());
    built.complete("long");
    budget.produced(10 * BOUND);
    CompletableFuture<Void> next = budget.admit().toCompletableFuture();
    budget.written(9 * BOUND);
    assertFalse(next.isDone(), "a reply as long as the bound is still held");
    budget.written(BOUND);
    assertTrue(next.isDone(), "nothing held: the next line is read");
  }

  @Test
  void longRepliesAreBuiltOneAtATimeAndOnlyWhileThereIsRoom() {
    ReplyBudget budget = new ReplyBudget(BOUND);
    CompletableFuture<String> first = new CompletableFuture<>();
    CompletableFuture<String> second = new CompletableFuture<>();
    boolean[] secondStarted = {false};
    CompletionStage<String> one = budget.whenRoom(() -> first);
    CompletionStage<String> two = budget.whenRoom(() -> {
      secondStarted[0] = true;
      return second;
    });
    assertFalse(secondStarted[0], "the second waits while the first is built");
    budget.produced(BOUND);
    first.complete("first");
    assertTrue(one.toCompletableFuture().isDone());
    assertFalse(secondStarted[0], "the bound is reached: the second is not built until the client reads");
    budget.written(BOUND);
    assertTrue(secondStarted[0]);
    second.complete("second");
    assertEquals("second", two.toCompletableFuture().join());
  }

  @Test
  void repliesTheClientDoesNotReadCountAsUnreadAfterTheLimit() throws Exception {
    ReplyBudget budget = new ReplyBudget(BOUND);
    assertFalse(budget.unreadFor(Duration.ZERO), "nothing held");
    budget.produced(10);
    long start = System.nanoTime();
    while (System.nanoTime() - start < Duration.ofMillis(5).toNanos()) {
      Thread.onSpinWait();
    }
    assertTrue(budget.unreadFor(Duration.ofMillis(1)));
    budget.written(5);
    assertFalse(budget.unreadFor(Duration.ofSeconds(1)), "the client just read some");
  }
}

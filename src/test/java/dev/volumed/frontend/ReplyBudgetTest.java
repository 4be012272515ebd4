package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** When a connection may take its next request line, by the reply bytes it holds. */
class ReplyBudgetTest {
  private static final long BOUND = 8000;

  private static boolean admitted(ReplyBudget budget) {
    return budget.admit().toCompletableFuture().isDone();
  }

  @Test
  void requestsOfUnknownReplySizeReserveAnEighthOfTheBoundEach() {
    ReplyBudget budget = new ReplyBudget(BOUND);
    for (int i = 0; i < 8; i++) {
      assertTrue(admitted(budget), "request " + i);
    }
    assertFalse(admitted(budget), "a ninth request waits for room");
  }

  @Test
  void heldBytesPastTheBoundStopTheNextLineUntilTheyAreWritten() {
    ReplyBudget budget = new ReplyBudget(BOUND);
    assertTrue(admitted(budget));
    budget.produced(BOUND);
    budget.finished();
    CompletableFuture<Void> next = budget.admit().toCompletableFuture();
    assertFalse(next.isDone(), "nothing more is read while the client has not read its reply");
    budget.written(BOUND / 2);
    assertFalse(next.isDone(), "half of it read: still no room for another reply that long");
    budget.written(BOUND / 2);
    assertTrue(next.isDone(), "room again once the client has read it");
    assertEquals(0, budget.held());
  }

  @Test
  void aReplyLongerThanTheBoundGoesOutAloneAndThenTheNextRequestIsTaken() {
    ReplyBudget budget = new ReplyBudget(BOUND);
    assertTrue(admitted(budget));
    budget.produced(10 * BOUND);
    budget.finished();
    CompletableFuture<Void> next = budget.admit().toCompletableFuture();
    budget.written(9 * BOUND);
    assertFalse(next.isDone(), "a reply as long as the bound is still held");
    budget.written(BOUND);
    assertTrue(next.isDone(), "nothing held, nothing in flight: the next line is taken");
    CompletableFuture<Void> third = budget.admit().toCompletableFuture();
    assertFalse(third.isDone(), "after a reply longer than the bound, its successors go one at a time");
    budget.finished();
    assertTrue(third.isDone());
  }

  @Test
  void theReserveGrowsToTheLongestReplySeen() {
    ReplyBudget budget = new ReplyBudget(BOUND);
    assertTrue(admitted(budget));
    budget.produced(BOUND / 2);
    budget.finished();
    budget.written(BOUND / 2);
    assertTrue(admitted(budget));
    assertTrue(admitted(budget));
    assertFalse(admitted(budget), "two requests that may each answer half the bound fill it");
  }
}

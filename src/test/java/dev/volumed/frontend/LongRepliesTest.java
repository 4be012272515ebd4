package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class LongRepliesTest {

  @Test
  void noMoreThanThePermitsRunAtOnceAndTheRestStartInTheOrderAsked() {
    LongReplies limiter = new LongReplies(2);
    List<CompletableFuture<String>> works = new ArrayList<>();
    List<Integer> started = new ArrayList<>();
    List<CompletionStage<String>> replies = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      CompletableFuture<String> work = new CompletableFuture<>();
      works.add(work);
      int n = i;
      replies.add(limiter.run(() -> {
        started.add(n);
        return work;
      }));
    }
    assertEquals(List.of(0, 1), started, "two permits: two long replies are built, three wait");
    assertEquals(2, limiter.running());

    works.get(1).complete("one");
    assertEquals(List.of(0, 1, 2), started, "the freed permit goes to the first that waited");
    works.get(0).completeExceptionally(new IllegalStateException("a failed build gives its permit back too"));
    assertEquals(List.of(0, 1, 2, 3), started);
    assertTrue(replies.get(0).toCompletableFuture().isCompletedExceptionally());
    assertEquals("one", replies.get(1).toCompletableFuture().join());

    works.get(2).complete("two");
    works.get(3).complete("three");
    works.get(4).complete("four");
    assertEquals(List.of(0, 1, 2, 3, 4), started);
    assertEquals("four", replies.get(4).toCompletableFuture().join());
    assertEquals(0, limiter.running(), "every permit is back once nothing is built");
  }

  @Test
  void workThatThrowsBeforeItsStageGivesItsPermitBack() {
    LongReplies limiter = new LongReplies(1);
    CompletionStage<String> failed = limiter.run(() -> {
      throw new IllegalStateException("cannot even start");
    });
    assertTrue(failed.toCompletableFuture().isCompletedExceptionally());
    assertEquals(0, limiter.running());
    assertEquals("next", limiter.run(() -> CompletableFuture.completedFuture("next")).toCompletableFuture().join());
  }

  @Test
  void atLeastOnePermit() {
    assertThrows(IllegalArgumentException.class, () -> new LongReplies(0));
    assertFalse(new LongReplies(1).running() > 0);
  }
}

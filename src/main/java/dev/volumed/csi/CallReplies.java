package dev.volumed.csi;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** Answers a call once its stage completes; a status thrown before or during it is the call's error. */
final class CallReplies {
  private CallReplies() {}

  static <T> void answer(StreamObserver<T> reply, Supplier<CompletionStage<T>> work) {
    CompletionStage<T> stage;
    try {
      stage = work.get();
    } catch (RuntimeException e) {
      fail(reply, e);
      return;
    }
    stage.whenComplete((response, failure) -> {
      if (failure != null) {
        fail(reply, failure);
        return;
      }
      try {
        reply.onNext(response);
        reply.onCompleted();
      } catch (RuntimeException cancelled) {
        // the CO gave up on the call (deadline, cancel): nobody is left to answer
      }
    });
  }

  /** Answers at once with a response that needed no ask. */
  static <T> void answerNow(StreamObserver<T> reply, T response) {
    answer(reply, () -> CompletableFuture.completedFuture(response));
  }

  private static void fail(StreamObserver<?> reply, Throwable failure) {
    try {
      reply.onError(Statuses.of(failure));
    } catch (RuntimeException cancelled) {
      // the CO gave up on the call: nobody is left to answer
    }
  }
}

package dev.volumed.frontend;

import akka.Done;
import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.actors.Meters;
import dev.volumed.actors.PoolEvents;
import dev.volumed.actors.PoolManager;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Op;
import dev.volumed.protocol.Request;
import dev.volumed.protocol.Requests;
import dev.volumed.settings.Settings;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * Turns one request line into its reply (and, for a batch, events before it): decode (the
 * protocol's {@link Requests}) → typed {@link Request} → {@link Operations} → typed result →
 * encode ({@link Replies}, {@link Codec}); a batch's lines come from {@link BatchStream}. Every
 * request is logged through {@link RequestLog} and counted in flight by the {@link Drain}.
 */
final class RequestHandler implements Connection.Handler {
  private final Operations operations;
  private final BatchStream batches;
  private final InPlaceStream inPlace;
  private final WatchStream watches;
  private final Drain drain = new Drain();
  private final RequestMeter meter;
  /** One per core: lists measure and encode on the CPU, so more at once only starve other requests. */
  private final LongReplies longReplies = new LongReplies(Runtime.getRuntime().availableProcessors());

  RequestHandler(ActorSystem<?> system, Map<String, ActorRef<PoolManager.Command>> managers, Settings settings,
      PoolEvents events) {
    this.operations = new Operations(system, managers, settings);
    this.batches = new BatchStream(system, operations, drain);
    this.meter = new RequestMeter(Meters.of(system));
    this.inPlace = new InPlaceStream(system, operations, drain, meter);
    this.watches = new WatchStream(operations, events);
  }

  /** One line for the client: an event, or the request's reply (its last line). */
  record Out(ByteString bytes, boolean last) {}

  /**
   * The lines answering one request; a long reply is built when the connection's budget has room.
   * The checks run in this order: JSON object, id, op, shutting down, known op, the op's arguments.
   */
  @Override
  public Source<Out, NotUsed> handle(ByteString line, ReplyBudget budget, CompletionStage<Done> inputEnded) {
    long started = System.nanoTime();
    JsonNode request;
    JsonNode id;
    try {
      request = Requests.object(Codec.parse(line.toArray()));
      id = Requests.id(request);
    } catch (VolumeException e) {
      RequestLog.refused(null, null, e);
      meter.answered(null, e.code(), started);
      return reply(Codec.error(null, e));
    }
    String op;
    try {
      op = Requests.op(request);
    } catch (VolumeException e) {
      RequestLog.refused(id, null, e);
      meter.answered(null, e.code(), started);
      return reply(Codec.error(id, e));
    }
    if (drain.draining()) {
      RequestLog.shuttingDown(id, op);
      meter.answered(op, ErrorCode.SHUTTING_DOWN, started);
      return reply(Codec.error(id, ErrorCode.SHUTTING_DOWN,
          "volumed is shutting down and takes no new requests; retry when it is back", Map.of()));
    }
    Optional<Op> known = Op.fromWire(op);
    if (known.equals(Optional.of(Op.BATCH))) {
      try {
        return batches.lines(id, (Request.Batch) Requests.decode(Op.BATCH, request, operations::pool), started);
      } catch (VolumeException e) {
        RequestLog.refused(id, op, e);
        meter.answered(op, e.code(), started);
        return reply(Codec.error(id, e));
      }
    }
    if (known.equals(Optional.of(Op.WATCH))) {
      // Not counted by the drain: shutdown ends every watch at once, it has no work to finish.
      try {
        RequestLog.watching(id);
        return watches.lines(id, (Request.Watch) Requests.decode(Op.WATCH, request, operations::pool), inputEnded);
      } catch (VolumeException e) {
        RequestLog.refused(id, op, e);
        meter.answered(op, e.code(), started);
        return reply(Codec.error(id, e));
      }
    }
    if (known.equals(Optional.of(Op.PREALLOCATE))) {
      try {
        return inPlace.lines(id, (Request.Preallocate) Requests.decode(Op.PREALLOCATE, request,
            operations::pool), started);
      } catch (VolumeException e) {
        RequestLog.refused(id, op, e);
        meter.answered(op, e.code(), started);
        return reply(Codec.error(id, e));
      }
    }
    CompletionStage<JsonNode> result;
    try {
      Request decoded = Requests.decode(known.orElseThrow(() -> Op.unknown(RequestLog.clip(op))), request,
          operations::pool);
      if (decoded instanceof Request.Resize resize) {
        return inPlace.lines(id, resize, started);
      }
      result = decoded instanceof Request.ListVolumes
          // A list can be long: it is asked for and built when the connection has room, one at a
          // time per connection and one per core in all (LongReplies), encoded on the blocking dispatcher.
          ? budget.whenRoom(() -> longReplies.run(
              () -> operations.run(decoded).thenApplyAsync(Replies::result, operations.blocking())))
          : operations.run(decoded).thenApply(Replies::result);
    } catch (VolumeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    return answer(id, op, result, started);
  }

  /** The reply once {@code result} is there, or once shutdown answers the request early. */
  private Source<Out, NotUsed> answer(JsonNode id, String op, CompletionStage<JsonNode> result, long started) {
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    Drain.Pending abort = reply::completeExceptionally;
    drain.started(abort);
    result.whenComplete((ok, failure) -> {
      if (failure == null) {
        reply.complete(ok);
      } else {
        reply.completeExceptionally(failure);
      }
    });
    // Encoded by the thread that made the reply (for a long list, a blocking one), not the stream's.
    return Source.completionStage(reply.handle((ok, failure) -> {
      drain.done(abort);
      long millis = (System.nanoTime() - started) / 1_000_000;
      if (failure == null) {
        RequestLog.answered(id, op, millis);
        meter.answered(op, null, started);
        return new Out(bytes(Codec.ok(id, ok)), true);
      }
      VolumeException error = asVolumeException(failure, op);
      RequestLog.failed(id, op, error, millis);
      meter.answered(op, error.code(), started);
      return new Out(bytes(Codec.error(id, error)), true);
    }));
  }

  /** From now on every new request is answered SHUTTING_DOWN. */
  void startDraining() {
    drain.start();
    watches.endAll();
  }

  /** Requests whose reply has not been produced yet. */
  int inFlight() {
    return drain.inFlight();
  }

  /** Answers every request still in flight with this error (their work is rolled back at exit). */
  void abortAll(VolumeException reason) {
    drain.abortAll(reason);
  }

  /** The answer to a request over the connection's in-flight bound; echoes its id where it has one. */
  @Override
  public ByteString overloaded(ByteString line, int maxInFlight) {
    JsonNode id = null;
    String op = null;
    try {
      JsonNode request = Codec.parse(line.toArray());
      id = request.isObject() ? Requests.id(request) : null;
      op = request.path("op").asText(null);
    } catch (VolumeException unreadable) {
      // answered without an id
    }
    meter.turnedAway(op, ErrorCode.OVERLOADED);
    return bytes(Codec.error(id, ErrorCode.OVERLOADED, "this connection already has " + maxInFlight
        + " requests in flight (volumed.socket.max-in-flight-per-connection); wait for replies or open"
        + " another connection", Map.of()));
  }

  @Override
  public ByteString frameTooLarge(int maxLineBytes) {
    meter.turnedAway(null, ErrorCode.FRAME_TOO_LARGE);
    return bytes(Codec.error(null, ErrorCode.FRAME_TOO_LARGE,
        "a request line is longer than " + maxLineBytes + " bytes; the connection is closed", Map.of()));
  }

  /** A refusal as it is; a timeout or anything unexpected as INTERNAL (the unexpected also logged). */
  private VolumeException asVolumeException(Throwable failure, String op) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof VolumeException e) {
      return e;
    }
    if (cause instanceof TimeoutException) {
      return new VolumeException(ErrorCode.INTERNAL, op + " did not finish within " + operations.timeout()
          + " (volumed.socket.request-timeout); the work may still complete: check with get or list");
    }
    RequestLog.unexpected(op, cause);
    return new VolumeException(ErrorCode.INTERNAL, "internal error: " + cause);
  }

  private static Source<Out, NotUsed> reply(JsonNode message) {
    return Source.single(new Out(bytes(message), true));
  }

  static ByteString bytes(JsonNode message) {
    return ByteString.fromArrayUnsafe(Codec.encode(message));
  }
}

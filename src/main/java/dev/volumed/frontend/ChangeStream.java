package dev.volumed.frontend;

import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.japi.Pair;
import akka.japi.pf.PFBuilder;
import akka.stream.OverflowStrategy;
import akka.stream.javadsl.Source;
import akka.stream.typed.javadsl.ActorSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.actors.ChangeWorker;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * A resize with {@code "progress": true} answers with a stream: the worker's progress events
 * ({@code {"id", "event": "progress", "name", "step", "doneBytes", "totalBytes"}}) and then its
 * reply. One that reports nothing for the request timeout is answered INTERNAL (the resize goes on);
 * at shutdown, one not ended by the grace period is answered SHUTTING_DOWN.
 */
final class ChangeStream {
  /** Events kept for a client that reads slowly; older progress is dropped first (the reply never is). */
  private static final int BUFFERED_EVENTS = 256;

  private final ActorSystem<?> system;
  private final Operations operations;
  private final Drain drain;

  ChangeStream(ActorSystem<?> system, Operations operations, Drain drain) {
    this.system = system;
    this.operations = operations;
    this.drain = drain;
  }

  Source<RequestHandler.Out, NotUsed> lines(JsonNode id, Request.Resize resize, long started) throws VolumeException {
    Operations.Pool pool = operations.pool(resize.pool());
    Pair<ActorRef<ChangeWorker.Result>, Source<ChangeWorker.Result, NotUsed>> channel =
        ActorSource.<ChangeWorker.Result>actorRef(result -> false, result -> Optional.empty(), BUFFERED_EVENTS,
            OverflowStrategy.dropHead()).preMaterialize(system);
    Drain.Pending abort = reason -> channel.first().tell(new ChangeWorker.Failed(reason));
    drain.started(abort);
    operations.runResize(pool, resize, channel.first());
    return channel.second()
        .takeWhile(result -> result instanceof ChangeWorker.Progress, true)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> drain.done(abort));
          return notUsed;
        })
        .idleTimeout(operations.timeout())
        .map(result -> {
          if (result instanceof ChangeWorker.Progress p) {
            ObjectNode event = Codec.event(id, "progress");
            event.put("name", p.name()).put("step", p.step()).put("doneBytes", p.doneBytes())
                .put("totalBytes", p.totalBytes());
            return new RequestHandler.Out(RequestHandler.bytes(event), false);
          }
          long millis = (System.nanoTime() - started) / 1_000_000;
          if (result instanceof ChangeWorker.Failed failed) {
            RequestLog.failed(id, "resize", failed.error(), millis);
            return new RequestHandler.Out(RequestHandler.bytes(Codec.error(id, failed.error())), true);
          }
          RequestLog.answered(id, "resize", millis);
          ChangeWorker.Resized resized = (ChangeWorker.Resized) result;
          return new RequestHandler.Out(RequestHandler.bytes(Codec.ok(id, Replies.volume(pool, resized.volume()))), true);
        })
        .recover(new PFBuilder<Throwable, RequestHandler.Out>()
            .match(TimeoutException.class, e -> new RequestHandler.Out(RequestHandler.bytes(Codec.error(id,
                ErrorCode.INTERNAL, "the resize reported nothing for " + operations.timeout()
                    + "; check with get whether it finished", Map.of())), true))
            .build());
  }
}

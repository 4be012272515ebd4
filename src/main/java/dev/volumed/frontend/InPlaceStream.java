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
import dev.volumed.actors.InPlaceOutput;
import dev.volumed.actors.PoolManager;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A change in place that reports as it goes (a preallocate, a resize) answers with a stream: the
 * worker's progress, forwarded as events when the request asked with {@code "progress": true}
 * ({@code {"id", "event": "progress", "name", "doneBytes", "totalBytes"}}, and a resize's {@code
 * "step"}), and keeping the request alive either way (writing a large image takes longer than the
 * request timeout); then its reply. One that reports nothing for the request timeout is answered
 * INTERNAL (the change goes on); at shutdown, one not ended by the grace period is answered
 * SHUTTING_DOWN. Each is metered as the other requests are.
 */
final class InPlaceStream {
  /** Events kept for a client that reads slowly; older progress is dropped first (the reply never is). */
  private static final int BUFFERED_EVENTS = 256;

  private final ActorSystem<?> system;
  private final Operations operations;
  private final Drain drain;
  private final RequestMeter meter;

  InPlaceStream(ActorSystem<?> system, Operations operations, Drain drain, RequestMeter meter) {
    this.system = system;
    this.operations = operations;
    this.drain = drain;
    this.meter = meter;
  }

  Source<RequestHandler.Out, NotUsed> lines(JsonNode id, Request.Resize resize, long started) throws VolumeException {
    return lines(id, operations.pool(resize.pool()), resize.op().wireName(), resize.name(), resize.progress(),
        out -> new PoolManager.Resize(resize.name(), resize.size(), true, out), started);
  }

  Source<RequestHandler.Out, NotUsed> lines(JsonNode id, Request.Preallocate preallocate, long started)
      throws VolumeException {
    return lines(id, operations.pool(preallocate.pool()), preallocate.op().wireName(), preallocate.name(),
        preallocate.progress(), out -> new PoolManager.Preallocate(preallocate.name(), preallocate.mode(), out), started);
  }

  private Source<RequestHandler.Out, NotUsed> lines(JsonNode id, Operations.Pool pool, String op, String name,
      boolean forward, Function<ActorRef<InPlaceOutput>, PoolManager.Command> start, long started) {
    Pair<ActorRef<InPlaceOutput>, Source<InPlaceOutput, NotUsed>> channel =
        ActorSource.<InPlaceOutput>actorRef(output -> false, output -> Optional.empty(), BUFFERED_EVENTS,
            OverflowStrategy.dropHead()).preMaterialize(system);
    Drain.Pending abort = reason -> channel.first().tell(new InPlaceOutput.Failed(reason));
    drain.started(abort);
    pool.manager().tell(start.apply(channel.first()));
    return channel.second()
        .takeWhile(output -> output instanceof InPlaceOutput.Progress, true)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> drain.done(abort));
          return notUsed;
        })
        .idleTimeout(operations.timeout())
        .filter(output -> forward || !(output instanceof InPlaceOutput.Progress))
        .map(output -> {
          if (output instanceof InPlaceOutput.Progress p) {
            return new RequestHandler.Out(RequestHandler.bytes(Replies.progress(id, p)), false);
          }
          long millis = (System.nanoTime() - started) / 1_000_000;
          if (output instanceof InPlaceOutput.Failed failed) {
            RequestLog.failed(id, op, failed.error(), millis);
            meter.answered(op, failed.error().code(), started);
            return new RequestHandler.Out(RequestHandler.bytes(Codec.error(id, failed.error())), true);
          }
          RequestLog.answered(id, op, millis);
          meter.answered(op, null, started);
          InPlaceOutput.Changed changed = (InPlaceOutput.Changed) output;
          return new RequestHandler.Out(RequestHandler.bytes(Codec.ok(id, Replies.volume(pool, changed.volume()))), true);
        })
        .recover(new PFBuilder<Throwable, RequestHandler.Out>()
            .match(TimeoutException.class, e -> {
              meter.answered(op, ErrorCode.INTERNAL, started);
              return new RequestHandler.Out(RequestHandler.bytes(Codec.error(id, ErrorCode.INTERNAL, op + " of " + name
                  + " reported nothing for " + operations.timeout() + "; check with get what became of it", Map.of())),
                  true);
            })
            .build());
  }
}

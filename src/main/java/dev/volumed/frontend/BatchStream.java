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
import dev.volumed.actors.BatchWorker;
import dev.volumed.actors.Meters;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * A batch answers with a stream: the batch actor sends progress events and then its end into an
 * ActorSource, which becomes this request's lines on the connection. A batch that reports nothing
 * for the request timeout is answered INTERNAL; at shutdown, one that has not ended by the grace
 * period is answered SHUTTING_DOWN.
 */
final class BatchStream {
  private final ActorSystem<?> system;
  private final Operations operations;
  private final Drain drain;
  private final RequestMeter meter;

  BatchStream(ActorSystem<?> system, Operations operations, Drain drain) {
    this.system = system;
    this.operations = operations;
    this.drain = drain;
    this.meter = new RequestMeter(Meters.of(system));
  }

  /** The batch's lines: progress events (when asked for), then its reply. */
  Source<RequestHandler.Out, NotUsed> lines(JsonNode id, Request.Batch batch, long started) throws VolumeException {
    Operations.Pool pool = operations.pool(batch.pool());
    List<VolumeSpec> specs = operations.batchSpecs(pool, batch);
    Pair<ActorRef<BatchWorker.Output>, Source<BatchWorker.Output, NotUsed>> channel =
        ActorSource.<BatchWorker.Output>actorRef(
                output -> false, output -> Optional.empty(), specs.size() + 2, OverflowStrategy.dropHead())
            .preMaterialize(system);
    Drain.Pending abort = reason -> channel.first().tell(new BatchWorker.Finished(List.of(), List.of(), reason,
        new BatchWorker.Stats(specs.size(), 0, 0, 0)));
    drain.started(abort);
    operations.runBatch(pool, specs, batch, channel.first());
    return channel.second()
        .takeWhile(output -> !(output instanceof BatchWorker.Finished), true)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> drain.done(abort));
          return notUsed;
        })
        .idleTimeout(operations.timeout())
        .map(output -> {
          if (output instanceof BatchWorker.Progress p) {
            return new RequestHandler.Out(RequestHandler.bytes(Replies.progress(id, p)), false);
          }
          BatchWorker.Finished finished = (BatchWorker.Finished) output;
          long millis = (System.nanoTime() - started) / 1_000_000;
          RequestLog.batchFinished(id, finished.error() == null ? null : finished.error().code(), specs.size(),
              finished.created().size(), finished.failed().size(), millis);
          meter.answered("batch", finished.error() == null ? null : finished.error().code(), started);
          return new RequestHandler.Out(RequestHandler.bytes(finished.error() != null
              ? Codec.error(id, finished.error())
              : Codec.ok(id, Replies.batch(pool, finished))), true);
        })
        .recover(new PFBuilder<Throwable, RequestHandler.Out>()
            .match(TimeoutException.class, e -> new RequestHandler.Out(RequestHandler.bytes(Codec.error(id,
                ErrorCode.INTERNAL, "the batch reported nothing for " + operations.timeout()
                    + "; check with list what it made", Map.of())), true))
            .build());
  }
}

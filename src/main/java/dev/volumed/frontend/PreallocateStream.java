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
import dev.volumed.actors.PoolManager;
import dev.volumed.actors.PreallocateWorker;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * A preallocate answers with a stream: its worker reports progress as it goes (forwarded as
 * events when the request asked for them, and keeping the request alive either way: writing a
 * large image takes longer than the request timeout) and then its end. One that reports nothing
 * for the request timeout is answered INTERNAL; at shutdown one still running is answered
 * SHUTTING_DOWN, and its worker gives the blocks it took back.
 */
final class PreallocateStream {
  /** Progress lines a slow reader may fall behind by; older ones are dropped, the end never is. */
  private static final int BUFFERED = 64;

  private final ActorSystem<?> system;
  private final Operations operations;
  private final Drain drain;

  PreallocateStream(ActorSystem<?> system, Operations operations, Drain drain) {
    this.system = system;
    this.operations = operations;
    this.drain = drain;
  }

  Source<RequestHandler.Out, NotUsed> lines(JsonNode id, Request.Preallocate request, long started)
      throws VolumeException {
    Operations.Pool pool = operations.pool(request.pool());
    Pair<ActorRef<PreallocateWorker.Output>, Source<PreallocateWorker.Output, NotUsed>> channel =
        ActorSource.<PreallocateWorker.Output>actorRef(
                output -> false, output -> Optional.empty(), BUFFERED, OverflowStrategy.dropHead())
            .preMaterialize(system);
    Drain.Pending abort = reason -> channel.first().tell(new PreallocateWorker.Failed(reason));
    drain.started(abort);
    pool.manager().tell(new PoolManager.Preallocate(request.name(), request.mode(), channel.first()));
    String op = request.op().wireName();
    return channel.second()
        .takeWhile(output -> output instanceof PreallocateWorker.Progress, true)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> drain.done(abort));
          return notUsed;
        })
        .idleTimeout(operations.timeout())
        .filter(output -> request.progress() || !(output instanceof PreallocateWorker.Progress))
        .map(output -> {
          if (output instanceof PreallocateWorker.Progress p) {
            return new RequestHandler.Out(RequestHandler.bytes(Replies.progress(id, p)), false);
          }
          long millis = (System.nanoTime() - started) / 1_000_000;
          if (output instanceof PreallocateWorker.Failed failed) {
            RequestLog.failed(id, op, failed.error(), millis);
            return new RequestHandler.Out(RequestHandler.bytes(Codec.error(id, failed.error())), true);
          }
          RequestLog.answered(id, op, millis);
          PreallocateWorker.Done done = (PreallocateWorker.Done) output;
          return new RequestHandler.Out(RequestHandler.bytes(Codec.ok(id, Replies.volume(pool, done.volume()))), true);
        })
        .recover(new PFBuilder<Throwable, RequestHandler.Out>()
            .match(TimeoutException.class, e -> new RequestHandler.Out(RequestHandler.bytes(Codec.error(id,
                ErrorCode.INTERNAL, "preallocating " + request.name() + " reported nothing for " + operations.timeout()
                    + "; check with get what became of it", Map.of())), true))
            .build());
  }
}

package dev.volumed.frontend;

import akka.Done;
import akka.NotUsed;
import akka.japi.pf.PFBuilder;
import akka.stream.KillSwitches;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolEvents;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.nio.file.Path;

/**
 * A watch answers with a stream: one {@code pool} event per pool watched (its state now,
 * {@code "previous": null}), then every event the pools publish, until the client stops sending
 * (its connection ends) or volumed shuts down, which ends every watch at once with the reply
 * {@code {"ended": "shutdown"}}. Each event is encoded once for all watchers; only the id differs.
 */
final class WatchStream {
  /**
   * Events queued for one watcher beyond what its socket takes; past this they are dropped,
   * counted, and the watcher told with one overflow event when it reads again.
   */
  static final int QUEUED_EVENTS = 1024;
  private static final byte[] NULL_ID_PREFIX = "{\"id\":null".getBytes(StandardCharsets.UTF_8);

  private final Operations operations;
  private final PoolEvents events;
  /** Each pool's folder, for the volumes' paths. */
  private final Function<String, Path> roots;

  WatchStream(Operations operations, PoolEvents events) {
    this.operations = operations;
    this.events = events;
    Map<String, Path> folders = operations.pools().stream()
        .collect(Collectors.toMap(pool -> pool.settings().name(), pool -> pool.settings().path()));
    this.roots = folders::get;
  }

  /** Ends every watch at once (shutdown): each gets its reply after the events it already has. */
  void endAll() {
    events.endAll();
  }

  Source<RequestHandler.Out, NotUsed> lines(JsonNode id, Request.Watch watch, CompletionStage<Done> inputEnded)
      throws VolumeException {
    List<Operations.Pool> pools = watch.pool().isPresent() ? List.of(operations.pool(watch.pool().get()))
        : operations.pools();
    // Subscribed when the stream starts, before the pools are asked for their state, so no change
    // between the two is missed (one may be told twice).
    Source<RequestHandler.Out, NotUsed> initial = Source.lazyCompletionStage(() -> operations.stats(pools))
        .mapConcat(stats -> initialEvents(id, stats));
    Source<RequestHandler.Out, NotUsed> changes = events.subscribe(
            pool -> watch.pool().map(pool::equals).orElse(true), QUEUED_EVENTS)
        .viaMat(KillSwitches.single(), Keep.right())
        .mapMaterializedValue(killSwitch -> {
          inputEnded.thenRun(killSwitch::shutdown);
          return NotUsed.getInstance();
        })
        .map(delivery -> new RequestHandler.Out(line(id, delivery), false));
    // Ended by a shutdown (not by the client going away): the reply.
    Source<RequestHandler.Out, NotUsed> ended = Source.lazySource(() -> inputEnded.toCompletableFuture().isDone()
            ? Source.<RequestHandler.Out>empty()
            : Source.single(new RequestHandler.Out(RequestHandler.bytes(Codec.ok(id, endedResult())), true)))
        .mapMaterializedValue(future -> NotUsed.getInstance());
    // A watch that fails (its pools' state could not be asked) ends with an error reply, never the connection.
    return initial.concat(changes).concat(ended)
        .recover(new PFBuilder<Throwable, RequestHandler.Out>()
            .match(Throwable.class, failure -> new RequestHandler.Out(RequestHandler.bytes(Codec.error(id,
                ErrorCode.INTERNAL, "the watch failed: " + failure + "; watch again", Map.of())), true))
            .build());
  }

  private static List<RequestHandler.Out> initialEvents(JsonNode id, Map<Operations.Pool, Ledger.StatsReply> stats) {
    return stats.values().stream()
        .filter(Ledger.PoolStats.class::isInstance)
        .map(reply -> new RequestHandler.Out(RequestHandler.bytes(Replies.initialLevel(id, (Ledger.PoolStats) reply)),
            false))
        .toList();
  }

  /** The event's line for this watcher: encoded once for every watcher, with this watcher's id put in. */
  private ByteString line(JsonNode id, PoolEvents.Delivery delivery) {
    if (delivery instanceof PoolEvents.Overflow overflow) {
      ObjectNode event = Codec.event(id, "overflow");
      event.put("dropped", overflow.dropped());
      return RequestHandler.bytes(event);
    }
    byte[] shared = ((PoolEvents.Published) delivery).encoded(event -> Codec.encode(Replies.event(event, roots)));
    if (id == null || id.isNull()) {
      return ByteString.fromArrayUnsafe(shared);
    }
    byte[] idJson = Codec.encode(id);
    // {"id":null,... -> {"id":<id>,... (idJson ends in a newline, left out)
    return ByteString.fromArrayUnsafe(shared, 0, 6)
        .concat(ByteString.fromArrayUnsafe(idJson, 0, idJson.length - 1))
        .concat(ByteString.fromArrayUnsafe(shared, NULL_ID_PREFIX.length, shared.length - NULL_ID_PREFIX.length));
  }

  private static JsonNode endedResult() {
    ObjectNode result = Codec.JSON.createObjectNode();
    result.put("ended", "shutdown");
    return result;
  }
}

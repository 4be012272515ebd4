package dev.volumed.frontend;

import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AskPattern;
import akka.japi.Pair;
import akka.japi.function.Function;
import akka.japi.pf.PFBuilder;
import akka.stream.OverflowStrategy;
import akka.stream.typed.javadsl.ActorSource;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.actors.BatchWorker;
import dev.volumed.actors.CreateWorker;
import dev.volumed.actors.DeleteWorker;
import dev.volumed.actors.Ledger;
import dev.volumed.Supervisor;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.protocol.Codec;
import dev.volumed.model.ErrorCode;
import dev.volumed.protocol.Requests;
import dev.volumed.model.VolumeException;
import dev.volumed.settings.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;

/** Turns one request line into its reply (and, for some ops, events before it). */
final class RequestHandler {
  private final ActorSystem<?> system;
  private final ActorRef<Supervisor.Command> supervisor;
  private final Map<String, Supervisor.Pool> pools;
  private final Duration timeout;
  private final Executor blocking;
  private final int maxBatchVolumes;
  private final MkfsArgsPolicy mkfsArgs;
  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  /** A request in flight, which shutdown can answer early. */
  private interface Pending {
    void abort(VolumeException reason);
  }

  RequestHandler(ActorSystem<?> system, ActorRef<Supervisor.Command> supervisor,
      Map<String, Supervisor.Pool> pools, Settings settings) {
    this.system = system;
    this.supervisor = supervisor;
    this.pools = Map.copyOf(pools);
    this.timeout = settings.socket().requestTimeout();
    this.maxBatchVolumes = settings.batch().maxVolumes();
    this.mkfsArgs = settings.format().mkfsArgs();
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
  }

  /** One line for the client: an event, or the request's reply (its last line). */
  record Out(ByteString bytes, boolean last) {}

  /** The lines answering one request; a long reply is built when the connection's budget has room. */
  Source<Out, NotUsed> handle(ByteString line, ReplyBudget budget) {
    long started = System.nanoTime();
    JsonNode request;
    JsonNode id;
    try {
      request = Codec.parse(line.toArray());
      if (!request.isObject()) {
        throw new VolumeException(ErrorCode.BAD_REQUEST, "a request is one JSON object per line, e.g. {\"op\":\"ping\"}");
      }
      id = Requests.id(request);
    } catch (VolumeException e) {
      RequestLog.refused(null, null, e);
      return reply(Codec.error(null, e));
    }
    String op;
    try {
      op = Requests.op(request);
    } catch (VolumeException e) {
      RequestLog.refused(id, null, e);
      return reply(Codec.error(id, e));
    }
    if (draining) {
      RequestLog.shuttingDown(id, op);
      return reply(Codec.error(id, ErrorCode.SHUTTING_DOWN,
          "volumed is shutting down and takes no new requests; retry when it is back", Map.of()));
    }
    if (op.equals("batch")) {
      try {
        return batch(id, request, started);
      } catch (VolumeException e) {
        RequestLog.refused(id, op, e);
        return reply(Codec.error(id, e));
      }
    }
    CompletionStage<JsonNode> result;
    try {
      result = dispatch(op, request, budget);
    } catch (VolumeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    JsonNode replyId = id;
    CompletableFuture<JsonNode> reply = new CompletableFuture<>();
    Pending abort = reply::completeExceptionally;
    pending.add(abort);
    result.whenComplete((ok, failure) -> {
      if (failure == null) {
        reply.complete(ok);
      } else {
        reply.completeExceptionally(failure);
      }
    });
    // Encoded by the thread that made the reply (for a long list, a blocking one), not the stream's.
    return Source.completionStage(reply.handle((ok, failure) -> {
      pending.remove(abort);
      long millis = (System.nanoTime() - started) / 1_000_000;
      if (failure == null) {
        RequestLog.answered(replyId, op, millis);
        return new Out(bytes(Codec.ok(replyId, ok)), true);
      }
      VolumeException error = asVolumeException(failure, op);
      RequestLog.failed(replyId, op, error, millis);
      return new Out(bytes(Codec.error(replyId, error)), true);
    }));
  }

  /** From now on every new request is answered SHUTTING_DOWN. */
  void startDraining() {
    draining = true;
  }

  /** Requests whose reply has not been produced yet. */
  int inFlight() {
    return pending.size();
  }

  /** Answers every request still in flight with this error (their work is rolled back at exit). */
  void abortAll(VolumeException reason) {
    for (Pending one : List.copyOf(pending)) {
      one.abort(reason);
    }
  }

  /** The answer to a request over the connection's in-flight bound; echoes its id where it has one. */
  ByteString overloaded(ByteString line, int maxInFlight) {
    JsonNode id = null;
    try {
      JsonNode request = Codec.parse(line.toArray());
      id = request.isObject() ? Requests.id(request) : null;
    } catch (VolumeException unreadable) {
      // answered without an id
    }
    return bytes(Codec.error(id, ErrorCode.OVERLOADED, "this connection already has " + maxInFlight
        + " requests in flight (volumed.socket.max-in-flight-per-connection); wait for replies or open"
        + " another connection", Map.of()));
  }

  ByteString frameTooLarge(int maxLineBytes) {
    return bytes(Codec.error(null, ErrorCode.FRAME_TOO_LARGE,
        "a request line is longer than " + maxLineBytes + " bytes; the connection is closed", Map.of()));
  }

  private CompletionStage<JsonNode> dispatch(String op, JsonNode request, ReplyBudget budget)
      throws VolumeException {
    return switch (op) {
      case "ping" -> ping();
      case "pools" -> pools();
      case "create" -> create(request);
      case "get" -> get(request);
      case "list" -> list(request, budget);
      case "delete" -> delete(request);
      default -> throw new VolumeException(ErrorCode.UNKNOWN_OP,
          "unknown op \"" + RequestLog.clip(op) + "\"; volumed knows ping, pools, create, batch, get, list and delete");
    };
  }

  /**
   * Answers once every pool's books are loaded (a ledger holds requests back until then), so a
   * ping that answers means volumed is ready: start-up recovery is done. A pool that failed answers
   * at once; it is named under "unavailable" and does not hold the answer up.
   */
  private CompletionStage<JsonNode> ping() {
    return allStats().thenApply(stats -> {
      ObjectNode result = Codec.JSON.createObjectNode();
      result.put("version", Codec.VERSION);
      result.put("protocol", Codec.PROTOCOL);
      unavailable(result, stats);
      return result;
    });
  }

  private CompletionStage<JsonNode> pools() {
    return allStats().thenApply(stats -> {
      ObjectNode result = Codec.JSON.createObjectNode();
      ArrayNode array = result.putArray("pools");
      stats.values().stream().filter(Ledger.PoolStats.class::isInstance).map(Ledger.PoolStats.class::cast)
          .sorted(java.util.Comparator.comparing(Ledger.PoolStats::name))
          .forEach(s -> array.add(Codec.JSON.valueToTree(s)));
      unavailable(result, stats);
      return result;
    });
  }

  /** Each pool's answer to GetStats, by pool. */
  private CompletionStage<Map<Supervisor.Pool, Ledger.StatsReply>> allStats() {
    Map<Supervisor.Pool, CompletableFuture<Ledger.StatsReply>> asked = new java.util.LinkedHashMap<>();
    for (Supervisor.Pool pool : pools.values()) {
      asked.put(pool, ask(pool.ledger(), Ledger.GetStats::new).toCompletableFuture());
    }
    return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<Supervisor.Pool, Ledger.StatsReply> replies = new java.util.LinkedHashMap<>();
      asked.forEach((pool, reply) -> replies.put(pool, reply.join()));
      return replies;
    });
  }

  /** {"unavailable": [{"name", "path", "error"}]} for the pools whose ledger refused: they cannot use their books now. */
  private static void unavailable(ObjectNode result, Map<Supervisor.Pool, ?> replies) {
    replies.forEach((pool, reply) -> {
      if (reply instanceof Ledger.Refused refused) {
        ArrayNode array = result.has("unavailable") ? (ArrayNode) result.get("unavailable") : result.putArray("unavailable");
        ObjectNode entry = array.addObject();
        entry.put("name", pool.settings().name());
        entry.put("path", pool.settings().path().toString());
        entry.set("error", errorJson(new VolumeException(refused.code(), refused.message())));
      }
    });
  }

  private CompletionStage<JsonNode> create(JsonNode request) throws VolumeException {
    Supervisor.Pool pool = pool(Requests.pool(request));
    VolumeSpec spec = Requests.volumeSpec(request, pool.settings(), mkfsArgs);
    return this.<CreateWorker.Result, Supervisor.Command>ask(supervisor, replyTo -> new Supervisor.CreateVolume(pool.settings().name(), spec, replyTo))
        .thenApply(result -> {
          if (result instanceof CreateWorker.Created created) {
            ObjectNode volume = volumeJson(pool, created.volume());
            if (created.existed()) {
              volume.put("existed", true);
            }
            return volume;
          }
          throw new CompletionException(((CreateWorker.Failed) result).error());
        });
  }

  /**
   * A batch answers with a stream: the batch actor sends progress events and then its end into
   * an ActorSource, which becomes this request's lines on the connection.
   */
  private Source<Out, NotUsed> batch(JsonNode id, JsonNode request, long started) throws VolumeException {
    Supervisor.Pool pool = pool(Requests.pool(request));
    boolean atomic = Requests.flag(request, "atomic", true);
    boolean progress = Requests.flag(request, "progress", false);
    List<VolumeSpec> specs = Requests.batchSpecs(request, pool.settings(), mkfsArgs, maxBatchVolumes);
    Pair<ActorRef<BatchWorker.Output>, Source<BatchWorker.Output, NotUsed>> channel =
        ActorSource.<BatchWorker.Output>actorRef(
                output -> false, output -> Optional.empty(), specs.size() + 2, OverflowStrategy.dropHead())
            .preMaterialize(system);
    // At shutdown, a batch that has not ended by the grace period is answered SHUTTING_DOWN.
    Pending abort = reason -> channel.first().tell(new BatchWorker.Finished(List.of(), List.of(), reason,
        new BatchWorker.Stats(specs.size(), 0, 0, 0)));
    pending.add(abort);
    supervisor.tell(new Supervisor.RunBatch(pool.settings().name(), specs, atomic, progress, channel.first()));
    return channel.second()
        .takeWhile(output -> !(output instanceof BatchWorker.Finished), true)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> pending.remove(abort));
          return notUsed;
        })
        .idleTimeout(timeout)
        .map(output -> {
          if (output instanceof BatchWorker.Progress p) {
            return new Out(bytes(progressEvent(id, p)), false);
          }
          BatchWorker.Finished finished = (BatchWorker.Finished) output;
          long millis = (System.nanoTime() - started) / 1_000_000;
          RequestLog.batchFinished(id, finished.error() == null ? null : finished.error().code(), specs.size(),
              finished.created().size(), finished.failed().size(), millis);
          return new Out(bytes(finished.error() != null
              ? Codec.error(id, finished.error())
              : Codec.ok(id, batchResult(pool, finished))), true);
        })
        .recover(new PFBuilder<Throwable, Out>()
            .match(TimeoutException.class, e -> new Out(bytes(Codec.error(id, ErrorCode.INTERNAL,
                "the batch reported nothing for " + timeout + "; check with list what it made", Map.of())), true))
            .build());
  }

  private static ObjectNode progressEvent(JsonNode id, BatchWorker.Progress progress) {
    ObjectNode event = Codec.event(id, "progress");
    event.put("name", progress.name());
    event.put("outcome", progress.outcome());
    if (progress.error() != null) {
      event.set("error", errorJson(progress.error()));
    }
    event.put("done", progress.done());
    event.put("total", progress.total());
    return event;
  }

  private static ObjectNode batchResult(Supervisor.Pool pool, BatchWorker.Finished finished) {
    ObjectNode result = Codec.JSON.createObjectNode();
    ArrayNode created = result.putArray("created");
    for (CreateWorker.Created one : finished.created()) {
      ObjectNode volume = volumeJson(pool, one.volume());
      if (one.existed()) {
        volume.put("existed", true);
      }
      created.add(volume);
    }
    ArrayNode failed = result.putArray("failed");
    for (CreateWorker.Failed one : finished.failed()) {
      ObjectNode entry = failed.addObject();
      entry.put("name", one.name());
      entry.set("error", errorJson(one.error()));
    }
    result.set("stats", Codec.JSON.valueToTree(finished.stats()));
    return result;
  }

  private static ObjectNode errorJson(VolumeException error) {
    return (ObjectNode) Codec.error(null, error).get("error");
  }

  private CompletionStage<JsonNode> get(JsonNode request) throws VolumeException {
    Supervisor.Pool pool = pool(Requests.pool(request));
    String name = Requests.name(request);
    return this.<Ledger.GetReply, Ledger.Command>ask(pool.ledger(), replyTo -> new Ledger.Get(name, replyTo))
        .thenApplyAsync(reply -> {
          if (reply instanceof Ledger.Found found) {
            return volumeJson(pool, PoolStore.measured(pool.settings().path(), found.volume()));
          }
          Ledger.Refused refused = (Ledger.Refused) reply;
          throw new CompletionException(new VolumeException(refused.code(), refused.message()));
        }, blocking);
  }

  /** One pool's list fails when that pool cannot answer; a list of all pools names such pools under "unavailable". */
  private CompletionStage<JsonNode> list(JsonNode request, ReplyBudget budget) throws VolumeException {
    boolean one = request.hasNonNull("pool");
    List<Supervisor.Pool> selected = one ? List.of(pool(Requests.pool(request))) : List.copyOf(pools.values());
    // A list can be long: it is asked for and built when the connection has room, one at a time.
    return budget.whenRoom(() -> {
      Map<Supervisor.Pool, CompletableFuture<Ledger.ListReply>> lists = new java.util.LinkedHashMap<>();
      for (Supervisor.Pool pool : selected) {
        lists.put(pool, ask(pool.ledger(), Ledger.ListVolumes::new).toCompletableFuture());
      }
      return CompletableFuture.allOf(lists.values().toArray(CompletableFuture[]::new))
          .thenApplyAsync(done -> listJson(one, lists), blocking);
    });
  }

  /** The volumes of the pools as they are now; runs on the blocking dispatcher. */
  private static JsonNode listJson(boolean one, Map<Supervisor.Pool, CompletableFuture<Ledger.ListReply>> lists) {
    ObjectNode result = Codec.JSON.createObjectNode();
    ArrayNode array = result.putArray("volumes");
    Map<Supervisor.Pool, Ledger.ListReply> replies = new java.util.LinkedHashMap<>();
    lists.forEach((pool, reply) -> replies.put(pool, reply.join()));
    replies.forEach((pool, reply) -> {
      if (reply instanceof Ledger.VolumeList list) {
        PoolStore.measured(pool.settings().path(), list.volumes()).forEach(volume -> array.add(volumeJson(pool, volume)));
      } else if (one) {
        Ledger.Refused refused = (Ledger.Refused) reply;
        throw new CompletionException(new VolumeException(refused.code(), refused.message()));
      }
    });
    unavailable(result, replies);
    return result;
  }

  private CompletionStage<JsonNode> delete(JsonNode request) throws VolumeException {
    Supervisor.Pool pool = pool(Requests.pool(request));
    String name = Requests.name(request);
    return this.<DeleteWorker.Result, Supervisor.Command>ask(supervisor, replyTo -> new Supervisor.DeleteVolume(pool.settings().name(), name, replyTo))
        .thenApply(result -> {
          if (result instanceof DeleteWorker.Deleted deleted) {
            ObjectNode node = Codec.JSON.createObjectNode();
            node.put("deleted", deleted.name());
            return node;
          }
          throw new CompletionException(((DeleteWorker.Failed) result).error());
        });
  }

  private Supervisor.Pool pool(String name) throws VolumeException {
    Supervisor.Pool pool = pools.get(name);
    if (pool == null) {
      throw new VolumeException(ErrorCode.UNKNOWN_POOL,
          "no pool \"" + name + "\"; this volumed has " + String.join(", ", pools.keySet().stream().sorted().toList()));
    }
    return pool;
  }

  private static ObjectNode volumeJson(Supervisor.Pool pool, Volume volume) {
    return Codec.volume(pool.settings().name(), pool.settings().path(), volume);
  }

  private <Res, Req> CompletionStage<Res> ask(ActorRef<Req> target, Function<ActorRef<Res>, Req> message) {
    return AskPattern.ask(target, message, timeout, system.scheduler());
  }

  private VolumeException asVolumeException(Throwable failure, String op) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof VolumeException e) {
      return e;
    }
    if (cause instanceof TimeoutException) {
      return new VolumeException(ErrorCode.INTERNAL, op + " did not finish within " + timeout
          + " (volumed.socket.request-timeout); the work may still complete: check with get or list");
    }
    RequestLog.unexpected(op, cause);
    return new VolumeException(ErrorCode.INTERNAL, "internal error: " + cause);
  }

  private static Source<Out, NotUsed> reply(JsonNode message) {
    return Source.single(new Out(bytes(message), true));
  }

  private static ByteString bytes(JsonNode message) {
    return ByteString.fromArrayUnsafe(Codec.encode(message));
  }
}

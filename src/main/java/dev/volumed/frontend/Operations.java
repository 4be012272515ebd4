package dev.volumed.frontend;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AskPattern;
import akka.japi.function.Function;
import dev.volumed.actors.BatchWorker;
import dev.volumed.actors.CreateWorker;
import dev.volumed.actors.DeleteWorker;
import dev.volumed.actors.InPlaceOutput;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolManager;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Holder;
import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import dev.volumed.protocol.PoolDefaults;
import dev.volumed.protocol.Request;
import dev.volumed.protocol.Requests;
import dev.volumed.settings.PoolSettings;
import dev.volumed.settings.Settings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * What each request does: it asks the pool managers and completes with a typed {@link Result},
 * which {@link Replies} puts as JSON. A refusal is a {@link VolumeException}, as the stage's failure.
 */
final class Operations {
  private final ActorSystem<?> system;
  private final Map<String, Pool> pools;
  private final Duration timeout;
  private final Executor blocking;
  private final int maxBatchVolumes;
  private final MkfsArgsPolicy mkfsArgs;

  /** A pool as the front end knows it: its settings (defaults, name, path) and its manager. */
  record Pool(PoolSettings settings, ActorRef<PoolManager.Command> manager) {
    PoolDefaults defaults() {
      return new PoolDefaults(settings.defaultFs(), settings.defaultAllocation());
    }
  }

  /** What an op answers, before it is encoded. */
  sealed interface Result {
    /** ping: each pool's stats or refusal (volumed is ready once all have answered). */
    record Ready(Map<Pool, Ledger.StatsReply> stats) implements Result {}

    /** pools: each pool's stats or refusal. */
    record PoolStats(Map<Pool, Ledger.StatsReply> stats) implements Result {}

    record Made(Pool pool, CreateWorker.Created created) implements Result {}

    record Got(Pool pool, Volume volume, List<Holder> holders) implements Result {}

    /** list: each pool's volumes, or its refusal when the list is of every pool. */
    record Listed(Map<Pool, Ledger.ListReply> lists) implements Result {}

    record Deleted(String name) implements Result {}

    record Reclaimed(Pool pool, Volume volume, long reclaimedBytes) implements Result {}
  }

  Operations(ActorSystem<?> system, Map<String, ActorRef<PoolManager.Command>> managers, Settings settings) {
    this.system = system;
    Map<String, Pool> known = new LinkedHashMap<>();
    for (PoolSettings pool : settings.pools()) {
      known.put(pool.name(), new Pool(pool, managers.get(pool.name())));
    }
    this.pools = Map.copyOf(known);
    this.timeout = settings.socket().requestTimeout();
    this.maxBatchVolumes = settings.batch().maxVolumes();
    this.mkfsArgs = settings.format().mkfsArgs();
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
  }

  /** How long an ask waits (volumed.socket.request-timeout). */
  Duration timeout() {
    return timeout;
  }

  /** The dispatcher for blocking work, where a long reply is encoded. */
  Executor blocking() {
    return blocking;
  }

  /** The result of every request but a batch (which answers with a stream, see {@link BatchStream}). */
  CompletionStage<Result> run(Request request) {
    try {
      if (request instanceof Request.Ping) {
        return ping();
      } else if (request instanceof Request.Pools) {
        return allStats().thenApply(Result.PoolStats::new);
      } else if (request instanceof Request.Create create) {
        return create(create);
      } else if (request instanceof Request.Get get) {
        return get(get);
      } else if (request instanceof Request.ListVolumes list) {
        return list(list);
      } else if (request instanceof Request.Delete delete) {
        return delete(delete);
      } else if (request instanceof Request.Reclaim reclaim) {
        return reclaim(reclaim);
      }
      throw new IllegalArgumentException(request.op().wireName() + " is not answered by Operations.run");
    } catch (VolumeException refused) {
      return CompletableFuture.failedFuture(refused);
    }
  }

  /**
   * Answers once every pool's books are loaded (a ledger holds requests back until then), so a
   * ping that answers means volumed is ready: start-up recovery is done. A pool that failed answers
   * at once; it is named under "unavailable" and does not hold the answer up.
   */
  private CompletionStage<Result> ping() {
    return allStats().thenApply(Result.Ready::new);
  }

  /** Each pool's answer to GetStats, by pool. */
  private CompletionStage<Map<Pool, Ledger.StatsReply>> allStats() {
    return stats(pools());
  }

  /** The answer to GetStats of each of these pools, by pool, in their order. */
  CompletionStage<Map<Pool, Ledger.StatsReply>> stats(List<Pool> selected) {
    return askEach(selected, PoolManager.GetStats::new);
  }

  /** Every pool, by name. */
  List<Pool> pools() {
    return pools.values().stream().sorted(java.util.Comparator.comparing(pool -> pool.settings().name())).toList();
  }

  /** Asks every one of the pools at once; their answers by pool, in the pools' order, once all have come. */
  private <R> CompletionStage<Map<Pool, R>> askEach(List<Pool> selected,
      Function<ActorRef<R>, PoolManager.Command> message) {
    Map<Pool, CompletableFuture<R>> asked = new LinkedHashMap<>();
    for (Pool pool : selected) {
      asked.put(pool, this.<R, PoolManager.Command>ask(pool.manager(), message).toCompletableFuture());
    }
    return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<Pool, R> replies = new LinkedHashMap<>();
      asked.forEach((pool, reply) -> replies.put(pool, reply.join()));
      return replies;
    });
  }

  private CompletionStage<Result> create(Request.Create request) throws VolumeException {
    Pool pool = pool(request.pool());
    VolumeSpec spec = request.volume().spec(pool.defaults(), mkfsArgs);
    return this.<CreateWorker.Result, PoolManager.Command>ask(pool.manager(), replyTo -> new PoolManager.Create(spec, replyTo))
        .thenApply(result -> {
          if (result instanceof CreateWorker.Created created) {
            return new Result.Made(pool, created);
          }
          throw new CompletionException(((CreateWorker.Failed) result).error());
        });
  }

  /** A batch's volumes, checked against its pool. */
  List<VolumeSpec> batchSpecs(Pool pool, Request.Batch batch) throws VolumeException {
    return Requests.specs(batch, pool.defaults(), mkfsArgs, maxBatchVolumes);
  }

  /** Starts a checked batch; its progress and its end go to {@code output}. */
  void runBatch(Pool pool, List<VolumeSpec> specs, Request.Batch batch, ActorRef<BatchWorker.Output> output) {
    pool.manager().tell(new PoolManager.RunBatch(specs, batch.atomic(), batch.progress(), output));
  }

  private CompletionStage<Result> get(Request.Get request) throws VolumeException {
    Pool pool = pool(request.pool());
    return this.<Ledger.GetReply, PoolManager.Command>ask(pool.manager(), replyTo -> new PoolManager.Get(request.name(), replyTo))
        .thenApply(reply -> {
          if (reply instanceof Ledger.Found found) {
            return new Result.Got(pool, found.volume(), found.holders());
          }
          throw new CompletionException(Replies.refusal((Ledger.Refused) reply));
        });
  }

  /** One pool's list fails when that pool cannot answer; a list of all pools holds such pools' refusals. */
  private CompletionStage<Result> list(Request.ListVolumes request) throws VolumeException {
    boolean one = request.pool().isPresent();
    List<Pool> selected = one ? List.of(pool(request.pool().get())) : List.copyOf(pools.values());
    return this.<Ledger.ListReply>askEach(selected, PoolManager.ListVolumes::new).thenApply(lists -> {
      if (one && lists.values().iterator().next() instanceof Ledger.Refused refused) {
        throw new CompletionException(Replies.refusal(refused));
      }
      return new Result.Listed(lists);
    });
  }

  private CompletionStage<Result> delete(Request.Delete request) throws VolumeException {
    Pool pool = pool(request.pool());
    return this.<DeleteWorker.Result, PoolManager.Command>ask(pool.manager(), replyTo -> new PoolManager.Delete(request.name(), replyTo))
        .thenApply(result -> {
          if (result instanceof DeleteWorker.Deleted deleted) {
            return new Result.Deleted(deleted.name());
          }
          throw new CompletionException(((DeleteWorker.Failed) result).error());
        });
  }

  /** reclaim, by its pool's change worker (preallocate and resize report as they go: {@link InPlaceStream}). */
  private CompletionStage<Result> reclaim(Request.Reclaim request) throws VolumeException {
    Pool pool = pool(request.pool());
    return this.<InPlaceOutput, PoolManager.Command>ask(pool.manager(),
        replyTo -> new PoolManager.Reclaim(request.name(), replyTo)).thenApply(result -> {
      if (result instanceof InPlaceOutput.Reclaimed reclaimed) {
        return new Result.Reclaimed(pool, reclaimed.volume(), reclaimed.reclaimedBytes());
      }
      throw new CompletionException(((InPlaceOutput.Failed) result).error());
    });
  }

  /** The pool of this name; UNKNOWN_POOL naming the pools there are. Also the decoder's pool check. */
  Pool pool(String name) throws VolumeException {
    Pool pool = pools.get(name);
    if (pool == null) {
      throw new VolumeException(ErrorCode.UNKNOWN_POOL,
          "no pool \"" + name + "\"; this volumed has " + String.join(", ", pools.keySet().stream().sorted().toList()));
    }
    return pool;
  }

  private <Res, Req> CompletionStage<Res> ask(ActorRef<Req> target, Function<ActorRef<Res>, Req> message) {
    return AskPattern.ask(target, message, timeout, system.scheduler());
  }
}

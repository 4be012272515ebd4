package dev.volumed.csi;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.japi.function.Function;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolManager;
import dev.volumed.settings.PoolSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The pools as the CSI services know them: by name, each its settings and its manager. Every CSI
 * call that touches a volume asks that volume's pool manager, as the socket front end does.
 */
public final class Pools {
  /** One pool: its settings (name, path, defaults) and the manager that owns its ledger and workers. */
  public record Pool(PoolSettings settings, ActorRef<PoolManager.Command> manager) {
    public String name() {
      return settings.name();
    }
  }

  private final ActorSystem<?> system;
  private final Map<String, Pool> pools;
  private final Duration timeout;

  public Pools(ActorSystem<?> system, List<PoolSettings> settings, Map<String, ActorRef<PoolManager.Command>> managers,
      Duration timeout) {
    this.system = system;
    Map<String, Pool> known = new LinkedHashMap<>();
    settings.stream().sorted(java.util.Comparator.comparing(PoolSettings::name))
        .forEach(pool -> known.put(pool.name(), new Pool(pool, managers.get(pool.name()))));
    this.pools = java.util.Collections.unmodifiableMap(known);
    this.timeout = timeout;
  }

  /** volumed's blocking dispatcher, where a call's blocking work continues after an ask. */
  public java.util.concurrent.Executor blocking() {
    return system.dispatchers().lookup(akka.actor.typed.DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
  }

  /** Every pool, by name. */
  public List<Pool> all() {
    return new ArrayList<>(pools.values());
  }

  public Optional<Pool> named(String name) {
    return Optional.ofNullable(pools.get(name));
  }

  /** How long an ask waits: volumed.socket.request-timeout, as for the socket's clients. */
  public Duration timeout() {
    return timeout;
  }

  /** Asks one pool's manager. */
  public <R> CompletionStage<R> ask(Pool pool, Function<ActorRef<R>, PoolManager.Command> message) {
    return AskPattern.ask(pool.manager(), message, timeout, system.scheduler());
  }

  /** Asks one pool's manager, waiting at most {@code wait}. */
  public <R> CompletionStage<R> ask(Pool pool, Function<ActorRef<R>, PoolManager.Command> message, Duration wait) {
    return AskPattern.ask(pool.manager(), message, wait, system.scheduler());
  }

  /** Every pool's books and figures, once all have answered (a ledger answers once its books are loaded). */
  public CompletionStage<Map<Pool, Ledger.StatsReply>> stats(Duration wait) {
    Map<Pool, CompletableFuture<Ledger.StatsReply>> asked = new LinkedHashMap<>();
    for (Pool pool : pools.values()) {
      asked.put(pool, this.<Ledger.StatsReply>ask(pool, PoolManager.GetStats::new, wait).toCompletableFuture());
    }
    return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
      Map<Pool, Ledger.StatsReply> replies = new LinkedHashMap<>();
      asked.forEach((pool, reply) -> replies.put(pool, reply.join()));
      return replies;
    });
  }
}

package dev.volumed.actors;

import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.StashBuffer;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.Capabilities;
import dev.volumed.model.Volume;
import dev.volumed.settings.PoolSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The phases of a {@link Ledger} around its books: <em>loading</em> at start (requests wait, so an
 * answer means start-up recovery is done), <em>ready</em> (the {@link Ledger} itself), and
 * <em>failed</em>: the books could not be loaded, or a handler threw. A failed ledger answers every
 * request at once with IO_ERROR naming the cause, and loads its books from disk again after a
 * backoff (200 ms, doubling up to 10 s) until that works; it never makes a request wait.
 */
final class LedgerLifecycle {
  private static final Duration FIRST_RETRY = Duration.ofMillis(200);
  private static final Duration LAST_RETRY = Duration.ofSeconds(10);

  /** The books as {@link PoolStore#load} read them, and what the pool's file system can do. */
  private record Loaded(List<Volume> volumes, Capabilities capabilities) implements Ledger.Command {}

  /** Why the books could not be loaded. */
  private record LoadFailed(Throwable failure) implements Ledger.Command {}

  /** Time to load the books again. */
  private enum Retry implements Ledger.Command { INSTANCE }

  private final ActorContext<Ledger.Command> context;
  private final TimerScheduler<Ledger.Command> timers;
  private final PoolSettings pool;
  private final PoolStore store;
  private final SpaceProbe probe;
  private final Duration refreshInterval;
  private final PoolEvents events;
  private final Executor blocking;
  private final StashBuffer<Ledger.Command> stash;
  private final Refusals refusals;
  /** Once start-up recovery has run, later loads only read: in-flight work's files are not leftovers. */
  private boolean recovered;

  private LedgerLifecycle(ActorContext<Ledger.Command> context, TimerScheduler<Ledger.Command> timers,
      StashBuffer<Ledger.Command> stash, PoolSettings pool, PoolStore store, SpaceProbe probe,
      Duration refreshInterval, PoolEvents events) {
    this.context = context;
    this.events = events;
    this.timers = timers;
    this.stash = stash;
    this.pool = pool;
    this.store = store;
    this.probe = probe;
    this.refreshInterval = refreshInterval;
    this.refusals = new Refusals(pool.name(), pool.path());
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
  }

  static Behavior<Ledger.Command> create(PoolSettings pool, PoolStore store, SpaceProbe probe, Duration refreshInterval,
      PoolEvents events) {
    // The front end bounds what can be in flight (max-connections x max-in-flight-per-connection),
    // well below what this stash holds while the books load.
    return Behaviors.withStash(100_000, stash ->
        Behaviors.setup(context -> Behaviors.withTimers(timers -> {
          LedgerLifecycle lifecycle = new LedgerLifecycle(context, timers, stash, pool, store, probe, refreshInterval,
              events);
          lifecycle.load();
          return Behaviors.intercept(() -> lifecycle.new FailOnThrow(), lifecycle.loading());
        })));
  }

  private void load() {
    boolean recover = !recovered;
    context.pipeToSelf(CompletableFuture.supplyAsync(
            () -> new Loaded(recover ? store.load() : store.reload(), store.capabilities()), blocking),
        (loaded, failure) -> failure != null ? new LoadFailed(failure) : loaded);
  }

  private Behavior<Ledger.Command> loading() {
    return Behaviors.receive(Ledger.Command.class)
        .onMessage(Loaded.class, loaded -> stash.unstashAll(ready(loaded, true)))
        .onMessage(LoadFailed.class, failure -> stash.unstashAll(failed(failure.failure(), FIRST_RETRY, true)))
        .onAnyMessage(message -> {
          stash.stash(message);
          return Behaviors.same();
        })
        .build();
  }

  /** Ready on the loaded books; firstTry: the start-up load, not a retry after a failure. */
  private Behavior<Ledger.Command> ready(Loaded loaded, boolean firstTry) {
    recovered = true;
    if (!firstTry) {
      context.getLog().info("pool {}: books loaded again; serving", pool.name());
    }
    return new Ledger(context, timers, pool, store, probe, refreshInterval, blocking, loaded.volumes(),
        loaded.capabilities(), events);
  }

  /**
   * Failed, trying to load the books again after retryAfter. firstFailure: logged with its stack
   * trace; each failed retry after it is one WARN line.
   */
  private Behavior<Ledger.Command> failed(Throwable cause, Duration retryAfter, boolean firstFailure) {
    Throwable reason = cause;
    while ((reason instanceof java.util.concurrent.CompletionException || reason instanceof java.io.UncheckedIOException)
        && reason.getCause() != null) {
      reason = reason.getCause();
    }
    if (firstFailure) {
      context.getLog().error("pool {}: cannot use its books; answering IO_ERROR and loading them again {}",
          pool.name(), retryAfter.isZero() ? "now" : "in " + retryAfter.toMillis() + " ms", reason);
    } else {
      context.getLog().warn("pool {}: loading its books again failed ({}); next try in {} ms", pool.name(), reason,
          retryAfter.toMillis());
    }
    timers.cancelAll();
    timers.startSingleTimer(Retry.INSTANCE, retryAfter);
    Ledger.Refused refused = refusals.unusable(reason);
    Duration doubled = retryAfter.isZero() ? FIRST_RETRY : retryAfter.multipliedBy(2);
    Duration next = doubled.compareTo(LAST_RETRY) > 0 ? LAST_RETRY : doubled;
    Behavior<Ledger.Command> failed = Behaviors.receive(Ledger.Command.class)
        .onMessage(Ledger.Request.class, request -> {
          request.replyTo().tell(refused);
          return Behaviors.same();
        })
        .onMessage(Retry.class, retry -> {
          load();
          return Behaviors.same();
        })
        .onMessage(Loaded.class, loaded -> ready(loaded, false))
        .onMessage(LoadFailed.class, failure -> failed(failure.failure(), next, false))
        // Completions, releases and deletions that end meanwhile: the next load reads them from disk.
        .onAnyMessage(other -> Behaviors.same())
        .build();
    // Requests still stashed (a handler threw while they were being unstashed) are answered too.
    return stash.isEmpty() ? failed : stash.unstashAll(failed);
  }

  /**
   * A handler that throws has lost track of its books: the request it was handling is answered
   * IO_ERROR, and the ledger turns failed, which loads the books from disk again (a restart that
   * never makes a request wait).
   */
  private final class FailOnThrow extends BehaviorInterceptor<Ledger.Command, Ledger.Command> {
    FailOnThrow() {
      super(Ledger.Command.class);
    }

    @Override
    public Behavior<Ledger.Command> aroundReceive(TypedActorContext<Ledger.Command> ctx, Ledger.Command message,
        ReceiveTarget<Ledger.Command> target) {
      try {
        return target.apply(ctx, message);
      } catch (RuntimeException e) {
        if (message instanceof Ledger.Request request) {
          request.replyTo().tell(refusals.threw(e));
        }
        return failed(e, Duration.ZERO, true);
      }
    }
  }
}

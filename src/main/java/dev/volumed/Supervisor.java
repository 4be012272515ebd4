package dev.volumed;

import dev.volumed.actors.DeleteWorker;
import dev.volumed.actors.SpaceProbe;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.BatchWorker;
import dev.volumed.actors.CreateWorker;
import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolStore;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.frontend.FrontEnd;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import dev.volumed.settings.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.LoggerFactory;
import java.util.List;
import java.util.Map;

/**
 * The guardian: it wires the ledgers (one per pool) and the socket front end, and spawns one
 * worker per volume operation, each under the supervision chosen here.
 */
public final class Supervisor extends AbstractBehavior<Supervisor.Command> {

  public interface Command {}

  public record CreateVolume(String pool, VolumeSpec spec, ActorRef<CreateWorker.Result> replyTo)
      implements Command {}

  public record DeleteVolume(String pool, String name, ActorRef<DeleteWorker.Result> replyTo)
      implements Command {}

  public record RunBatch(String pool, List<VolumeSpec> specs, boolean atomic, boolean progress,
      ActorRef<BatchWorker.Output> output) implements Command {
    public RunBatch {
      specs = List.copyOf(specs);
    }
  }

  /** What the front end needs to know of one pool. */
  public record Pool(PoolSettings settings, ActorRef<Ledger.Command> ledger, VolumeBuilder builder) {}

  public static Behavior<Command> create(Settings settings, Formatter formatter) {
    return Behaviors.setup(context -> new Supervisor(context, settings, formatter));
  }

  private final Settings settings;
  private final Map<String, Pool> pools = new LinkedHashMap<>();
  private long workers;

  private Supervisor(ActorContext<Command> context, Settings settings, Formatter formatter) {
    super(context);
    this.settings = settings;
    List<PoolStore> stores = new ArrayList<>();
    for (PoolSettings pool : settings.pools()) {
      PoolStore store = new PoolStore(pool.name(), pool.path(), formatter);
      stores.add(store);
      // A ledger turns itself "failed" when a handler throws (answering IO_ERROR while it reloads its
      // books); this restart is only for a throw outside its handlers.
      ActorRef<Ledger.Command> ledger = context.spawn(
          Behaviors.supervise(Ledger.create(pool, store, SpaceProbe.of(pool.path()),
                  settings.accounting().refreshInterval()))
              .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2)),
          "ledger-" + pool.name());
      pools.put(pool.name(), new Pool(pool, ledger, new VolumeBuilder(pool, store, formatter)));
    }
    rollBackOnShutdown(context, formatter, stores, settings.shutdown().grace());
    // The front end binds and accepts with blocking calls, so it lives on the blocking dispatcher.
    // If it fails the daemon cannot serve anyone: it stops, and so does the system (see Main).
    ActorRef<FrontEnd.Command> frontEnd = context.spawn(
        Behaviors.supervise(FrontEnd.create(settings, context.getSelf(), Map.copyOf(pools)))
            .onFailure(SupervisorStrategy.stop()),
        "front-end",
        DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    context.watch(frontEnd);
  }

  /**
   * The last step of a shutdown, after the front end's grace period: whatever is still being made
   * is rolled back (its mkfs killed, its temporary image removed). Published volumes stay.
   */
  private static void rollBackOnShutdown(ActorContext<Command> context, Formatter formatter, List<PoolStore> stores,
      Duration grace) {
    Executor blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    CoordinatedShutdown.get(context.getSystem()).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "roll-back-unfinished", () -> CompletableFuture.supplyAsync(() -> {
          int killed = formatter.killRunning();
          int removed = stores.stream().mapToInt(PoolStore::removeLeftovers).sum();
          if (killed + removed > 0) {
            LoggerFactory.getLogger(Supervisor.class).warn(
                "shutdown after a grace of {}: killed {} mkfs, removed {} unfinished images", grace, killed, removed);
          }
          return Done.getInstance();
        }, blocking));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(CreateVolume.class, this::onCreate)
        .onMessage(DeleteVolume.class, this::onDelete)
        .onMessage(RunBatch.class, this::onBatch)
        .onSignal(Terminated.class, this::onFrontEndStopped)
        .build();
  }

  private Behavior<Command> onFrontEndStopped(Terminated terminated) {
    getContext().getLog().error("the socket front end stopped; volumed cannot serve clients and stops");
    return Behaviors.stopped();
  }

  private Behavior<Command> onCreate(CreateVolume create) {
    Pool pool = pools.get(create.pool());
    // A worker that throws is stopped; the ledger sees it stop and releases its reservation.
    getContext().spawn(
        Behaviors.supervise(CreateWorker.create(create.spec(), pool.ledger(), pool.builder(), create.replyTo()))
            .onFailure(SupervisorStrategy.stop()),
        "create-" + (++workers));
    return this;
  }

  private Behavior<Command> onBatch(RunBatch batch) {
    Pool pool = pools.get(batch.pool());
    getContext().spawn(
        Behaviors.supervise(BatchWorker.create(batch.specs(), batch.atomic(), batch.progress(),
                settings.format().effectiveParallelism(), settings.socket().requestTimeout(),
                pool.ledger(), pool.builder(), batch.output()))
            .onFailure(SupervisorStrategy.stop()),
        "batch-" + (++workers));
    return this;
  }

  private Behavior<Command> onDelete(DeleteVolume delete) {
    Pool pool = pools.get(delete.pool());
    getContext().spawn(
        Behaviors.supervise(DeleteWorker.create(delete.name(), pool.ledger(), pool.builder(), delete.replyTo()))
            .onFailure(SupervisorStrategy.stop()),
        "delete-" + (++workers));
    return this;
  }
}

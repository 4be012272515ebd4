package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.disk.Holders;
import dev.volumed.disk.PoolStore;
import dev.volumed.disk.Preallocator;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One pool: it owns the pool's ledger and spawns one worker per volume operation, each under the
 * supervision chosen here. Clients (the socket front end) know a pool only by its manager.
 * Reading a volume's blocks for {@code get} and {@code list}, and what holds it open for {@code get},
 * runs on the blocking dispatcher.
 */
public final class PoolManager extends AbstractBehavior<PoolManager.Command> {

  public interface Command {}

  public record Create(VolumeSpec spec, ActorRef<CreateWorker.Result> replyTo) implements Command {}

  public record Delete(String name, ActorRef<DeleteWorker.Result> replyTo) implements Command {}

  public record RunBatch(List<VolumeSpec> specs, boolean atomic, boolean progress,
      ActorRef<BatchWorker.Output> output) implements Command {
    public RunBatch {
      specs = List.copyOf(specs);
    }
  }

  /** Grow a volume to size (equal: unchanged). */
  public record Resize(String name, long size, boolean progress, ActorRef<InPlaceOutput> replyTo)
      implements Command {}

  /** Give back a sparse volume's blocks that hold no data. */
  public record Reclaim(String name, ActorRef<InPlaceOutput> replyTo) implements Command {}

  /** Give a volume its blocks (mode fallocate or full); progress and the end go to output. */
  public record Preallocate(String name, Allocation mode, ActorRef<InPlaceOutput> output)
      implements Command {}

  /** One volume, its blocks measured now; or the ledger's refusal. */
  public record Get(String name, ActorRef<Ledger.GetReply> replyTo) implements Command {}

  /**
   * One volume as the books have it, and what is under way on it: nothing measured, no holders
   * looked for (a scan of every process), for a client about to act on the volume (CSI).
   */
  public record Lookup(String name, ActorRef<Ledger.GetReply> replyTo) implements Command {}

  /** Every volume of the pool (ready ones measured now), or the ledger's refusal. */
  public record ListVolumes(ActorRef<Ledger.ListReply> replyTo) implements Command {}

  /** The pool's books and space figures. */
  public record GetStats(ActorRef<Ledger.StatsReply> replyTo) implements Command {}

  // private messages

  private record GotVolume(Ledger.GetReply reply, Throwable failure, ActorRef<Ledger.GetReply> replyTo)
      implements Command {}

  private record GotList(Ledger.ListReply reply, Throwable failure, ActorRef<Ledger.ListReply> replyTo)
      implements Command {}

  /** What a pool manager works with; the ledger is spawned by the manager itself. */
  public record Pool(PoolSettings settings, PoolStore store, VolumeBuilder builder, SpaceProbe probe,
      Preallocator preallocator) {
    /** Zeros written unpaced. */
    public Pool(PoolSettings settings, PoolStore store, VolumeBuilder builder, SpaceProbe probe) {
      this(settings, store, builder, probe, new Preallocator(settings.name(), store, OptionalLong.empty()));
    }
  }

  public static Behavior<Command> create(Pool pool, Duration refreshInterval, int batchParallelism,
      Duration requestTimeout) {
    return create(pool, refreshInterval, batchParallelism, requestTimeout, PoolEvents.none());
  }

  /** A manager whose ledger publishes the pool's changes to {@code events}. */
  public static Behavior<Command> create(Pool pool, Duration refreshInterval, int batchParallelism,
      Duration requestTimeout, PoolEvents events) {
    return Behaviors.setup(context -> new PoolManager(context, pool, refreshInterval, batchParallelism,
        requestTimeout, events));
  }

  private final Pool pool;
  private final int batchParallelism;
  private final Duration requestTimeout;
  private final ActorRef<Ledger.Command> ledger;
  private final Executor blocking;
  private long workers;

  private PoolManager(ActorContext<Command> context, Pool pool, Duration refreshInterval, int batchParallelism,
      Duration requestTimeout, PoolEvents events) {
    super(context);
    this.pool = pool;
    this.batchParallelism = batchParallelism;
    this.requestTimeout = requestTimeout;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    // A ledger turns itself "failed" when a handler throws (answering IO_ERROR while it reloads its
    // books); this restart is only for a throw outside its handlers.
    this.ledger = context.spawn(
        Behaviors.supervise(Ledger.create(pool.settings(), pool.store(), pool.probe(), refreshInterval, events))
            .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2)),
        "ledger");
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Create.class, this::onCreate)
        .onMessage(Delete.class, this::onDelete)
        .onMessage(RunBatch.class, this::onBatch)
        .onMessage(Resize.class, r -> spawnChange(ChangeWorker.resize(r.name(), r.size(), r.progress(), ledger,
            pool.builder().changes(), r.replyTo()), "resize-"))
        .onMessage(Reclaim.class, r -> spawnChange(ChangeWorker.reclaim(r.name(), ledger, pool.builder().changes(),
            r.replyTo()), "reclaim-"))
        .onMessage(Preallocate.class, this::onPreallocate)
        .onMessage(Get.class, this::onGet)
        .onMessage(Lookup.class, l -> {
          ledger.tell(new Ledger.Get(l.name(), l.replyTo()));
          return this;
        })
        .onMessage(ListVolumes.class, this::onList)
        .onMessage(GetStats.class, this::onStats)
        .onMessage(GotVolume.class, this::onGotVolume)
        .onMessage(GotList.class, this::onGotList)
        .build();
  }

  // A worker that throws is stopped; the ledger sees it stop and releases its reservation.

  private Behavior<Command> onCreate(Create create) {
    getContext().spawn(
        Behaviors.supervise(CreateWorker.create(create.spec(), ledger, pool.builder(), create.replyTo()))
            .onFailure(SupervisorStrategy.stop()),
        "create-" + (++workers));
    return this;
  }

  private Behavior<Command> onDelete(Delete delete) {
    getContext().spawn(
        Behaviors.supervise(DeleteWorker.create(delete.name(), ledger, pool.builder(), delete.replyTo()))
            .onFailure(SupervisorStrategy.stop()),
        "delete-" + (++workers));
    return this;
  }

  private Behavior<Command> spawnChange(Behavior<ChangeWorker.Command> worker, String prefix) {
    getContext().spawn(Behaviors.supervise(worker).onFailure(SupervisorStrategy.stop()), prefix + (++workers));
    return this;
  }

  private Behavior<Command> onBatch(RunBatch batch) {
    getContext().spawn(
        Behaviors.supervise(BatchWorker.create(batch.specs(), batch.atomic(), batch.progress(), batchParallelism,
                requestTimeout, ledger, pool.builder(), batch.output()))
            .onFailure(SupervisorStrategy.stop()),
        "batch-" + (++workers));
    return this;
  }

  private Behavior<Command> onPreallocate(Preallocate preallocate) {
    getContext().spawn(
        Behaviors.supervise(PreallocateWorker.create(preallocate.name(), preallocate.mode(), ledger,
                pool.preallocator(), preallocate.output()))
            .onFailure(SupervisorStrategy.stop()),
        "preallocate-" + (++workers));
    return this;
  }

  private Behavior<Command> onGet(Get get) {
    getContext().ask(Ledger.GetReply.class, ledger, requestTimeout, replyTo -> new Ledger.Get(get.name(), replyTo),
        (reply, failure) -> new GotVolume(reply, failure, get.replyTo()));
    return this;
  }

  private Behavior<Command> onList(ListVolumes list) {
    getContext().ask(Ledger.ListReply.class, ledger, requestTimeout, Ledger.ListVolumes::new,
        (reply, failure) -> new GotList(reply, failure, list.replyTo()));
    return this;
  }

  private Behavior<Command> onStats(GetStats stats) {
    ledger.tell(new Ledger.GetStats(stats.replyTo()));
    return this;
  }

  /** The ledger's answer, measured off the actor; the future touches no state of this actor. */
  private Behavior<Command> onGotVolume(GotVolume got) {
    if (got.failure() != null) {
      got.replyTo().tell(unanswered(got.failure()));
    } else if (got.reply() instanceof Ledger.Found found) {
      CompletableFuture.<Ledger.GetReply>supplyAsync(() -> inspected(found), blocking)
          .whenComplete((reply, failure) -> got.replyTo().tell(failure == null ? reply : unmeasured(failure)));
    } else {
      got.replyTo().tell(got.reply());
    }
    return this;
  }

  private Behavior<Command> onGotList(GotList got) {
    if (got.failure() != null) {
      got.replyTo().tell(unanswered(got.failure()));
    } else if (got.reply() instanceof Ledger.VolumeList list) {
      CompletableFuture.<Ledger.ListReply>supplyAsync(
              () -> new Ledger.VolumeList(list.pool(), PoolStore.measured(pool.store().root(), list.volumes())), blocking)
          .whenComplete((reply, failure) -> got.replyTo().tell(failure == null ? reply : unmeasured(failure)));
    } else {
      got.replyTo().tell(got.reply());
    }
    return this;
  }

  /** Measured now, with what holds its image open (a volume still being made has no image at its name yet). */
  private Ledger.Found inspected(Ledger.Found found) {
    Volume volume = found.volume();
    Volume measured = PoolStore.measured(pool.store().root(), volume);
    try {
      return new Ledger.Found(measured, volume.state() == Volume.State.CREATING ? List.of()
          : Holders.of(pool.store().root(), volume.name()), found.underway());
    } catch (VolumeException e) {
      return new Ledger.Found(measured, List.of(), found.underway());
    }
  }

  /** Measuring is read-only: one that throws is answered, never left without a reply. */
  private Ledger.Refused unmeasured(Throwable failure) {
    return new Ledger.Refused(ErrorCode.IO_ERROR, "pool " + pool.settings().name()
        + " could not measure its images: " + failure);
  }

  private Ledger.Refused unanswered(Throwable failure) {
    return new Ledger.Refused(ErrorCode.INTERNAL, "pool " + pool.settings().name() + " did not answer within "
        + requestTimeout + " (" + failure + "); its work may still be going on");
  }
}

package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.volumed.actors.BatchVolume.Existed;
import dev.volumed.actors.BatchVolume.Failed;
import dev.volumed.actors.BatchVolume.NotStarted;
import dev.volumed.actors.BatchVolume.Published;
import dev.volumed.actors.BatchVolume.Step;
import dev.volumed.actors.BatchVolume.Working;
import dev.volumed.actors.BatchWorker.Finished;
import dev.volumed.actors.BatchWorker.Progress;
import dev.volumed.actors.BatchWorker.Stats;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/**
 * The per-volume part of a running batch, shared by {@link AtomicBatch} and {@link PartialBatch}:
 * each volume's {@link BatchVolume} in the batch's order, the reservations, the bound on how many
 * workers allocate and format at once, one timer per waiting worker, progress and the end. It is
 * the batch actor's state and is only touched on the actor's turn.
 */
final class BatchRun {

  /** A worker's word, through the message adapter. */
  record WorkerSaid(CreateWorker.Result result) implements BatchWorker.Command {}

  /** A worker did not say its next word within the timeout (the timer's key is the volume's name). */
  record TimedOut(String name) implements BatchWorker.Command {}

  final ActorContext<BatchWorker.Command> context;
  private final TimerScheduler<BatchWorker.Command> timers;
  final List<VolumeSpec> specs;
  private final boolean atomic;
  private final boolean progress;
  private final int parallelism;
  private final Duration timeout;
  final ActorRef<Ledger.Command> ledger;
  final VolumeBuilder builder;
  private final ActorRef<BatchWorker.Output> output;
  final Executor blocking;
  private final ActorRef<CreateWorker.Result> adapter;
  private final long started = System.nanoTime();

  private final Map<String, BatchVolume> volumes = new LinkedHashMap<>();
  private final Map<String, VolumeSpec> specsByName = new HashMap<>();
  private final Map<String, Long> reservations = new LinkedHashMap<>();
  /** Admitted volumes whose worker has not started, in the batch's order. */
  private final Queue<String> waiting = new ArrayDeque<>();
  /**
   * How many volumes are {@link Working} and how many {@link Failed}, kept by {@link #put}: the batch
   * asks after every worker's word, and scanning 10,000 states each time made a batch quadratic.
   */
  private int workingCount;
  private int failedCount;
  private int preparing;
  private int mostPreparing;
  private int done;
  private long spawned;

  BatchRun(ActorContext<BatchWorker.Command> context, TimerScheduler<BatchWorker.Command> timers,
      List<VolumeSpec> specs, boolean atomic, boolean progress, int parallelism, Duration timeout,
      ActorRef<Ledger.Command> ledger, VolumeBuilder builder, ActorRef<BatchWorker.Output> output) {
    this.context = context;
    this.timers = timers;
    this.specs = specs;
    this.atomic = atomic;
    this.progress = progress;
    this.parallelism = parallelism;
    this.timeout = timeout;
    this.ledger = ledger;
    this.builder = builder;
    this.output = output;
    this.blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    this.adapter = context.messageAdapter(CreateWorker.Result.class, WorkerSaid::new);
    specs.forEach(spec -> specsByName.put(spec.name(), spec));
  }

  /** Takes the ledger's answer for each volume, in order: admitted ones wait for a worker. */
  void admitted(List<Ledger.ReserveReply> outcomes) {
    for (int i = 0; i < specs.size(); i++) {
      String name = specs.get(i).name();
      Ledger.ReserveReply outcome = outcomes.get(i);
      if (outcome instanceof Ledger.Admitted admitted) {
        put(name, new NotStarted());
        reservations.put(name, admitted.reservationId());
        waiting.add(name);
      } else if (outcome instanceof Ledger.Existed existed) {
        settle(name, new Existed(existed.volume()), true);
      } else if (outcome instanceof Ledger.Refused refused) {
        settle(name, new Failed(new VolumeException(refused.code(), refused.message())), true);
      }
    }
  }

  boolean nothingToMake() {
    return reservations.isEmpty();
  }

  /**
   * Starts workers while fewer than {@code parallelism} allocate and format: a batch of 10,000
   * never runs 10,000 mkfs. A worker leaves that bound once its image is formatted.
   */
  void startMore() {
    while (preparing < parallelism && !waiting.isEmpty()) {
      String name = waiting.remove();
      VolumeSpec spec = specsByName.get(name);
      Behavior<CreateWorker.Command> worker = atomic
          ? CreateWorker.atomicMember(spec, builder, adapter)
          : CreateWorker.member(spec, reservations.get(name), ledger, builder, adapter);
      ActorRef<CreateWorker.Command> ref = context.spawn(
          Behaviors.supervise(worker).onFailure(SupervisorStrategy.stop()), "volume-" + (++spawned));
      working(name, ref, Step.PREPARING);
      preparing++;
      mostPreparing = Math.max(mostPreparing, preparing);
    }
  }

  /** No worker is started from here on: what waits stays {@link NotStarted}. */
  void stopStarting() {
    waiting.clear();
  }

  /** The volume's worker is at a new step; its timer starts again. */
  void working(String name, ActorRef<CreateWorker.Command> worker, Step step) {
    if (volumes.get(name) instanceof Working w && w.step() == Step.PREPARING && step != Step.PREPARING) {
      preparing--;
    }
    put(name, new Working(worker, step));
    timers.startSingleTimer(name, new TimedOut(name), timeout);
  }

  /** The volume has a new state and no timer; with {@code report} the client hears of it. */
  void settle(String name, BatchVolume state, boolean report) {
    if (volumes.get(name) instanceof Working w && w.step() == Step.PREPARING) {
      preparing--;
    }
    timers.cancel(name);
    put(name, state);
    if (report) {
      done++;
      if (progress) {
        String outcome = state instanceof Failed ? "failed" : state instanceof Existed ? "existed" : "created";
        VolumeException error = state instanceof Failed failed ? failed.error() : null;
        output.tell(new Progress(name, outcome, error, done, specs.size()));
      }
    }
  }

  /** The volume's state, or null for a name the batch does not have. */
  BatchVolume state(String name) {
    return volumes.get(name);
  }

  /**
   * The worker of a volume did not answer within the timeout: it is stopped and the volume has
   * failed. An image it prepares after that is discarded by the worker itself. A publish cannot
   * be taken back that way: one that outlasts the timeout (an hour by default) and lands after
   * all leaves a volume the reply calls failed, which the next start-up finds on disk.
   */
  Failed giveUp(Working working, String name) {
    context.stop(working.worker());
    context.getLog().warn("batch: {} did not finish {} within {}; it is given up", name, working.step().doing, timeout);
    return new Failed(new VolumeException(ErrorCode.INTERNAL, name + " did not finish " + working.step().doing
        + " within " + timeout + " (volumed.socket.request-timeout); the batch gave it up and released its space"));
  }

  /** Every change of a volume's state goes through here, so the counts stay true. */
  private void put(String name, BatchVolume state) {
    BatchVolume old = volumes.put(name, state);
    workingCount += (state instanceof Working ? 1 : 0) - (old instanceof Working ? 1 : 0);
    failedCount += (state instanceof Failed ? 1 : 0) - (old instanceof Failed ? 1 : 0);
  }

  boolean anyWorking() {
    return workingCount > 0;
  }

  boolean anyFailed() {
    return failedCount > 0;
  }

  boolean startingDone() {
    return waiting.isEmpty() && !anyWorking();
  }

  /** The names of the volumes in this state, in the batch's order. */
  List<String> names(Predicate<BatchVolume> which) {
    List<String> names = new ArrayList<>();
    volumes.forEach((name, state) -> {
      if (which.test(state)) {
        names.add(name);
      }
    });
    return names;
  }

  /** Read-only: states change only through {@link #put}. */
  Map<String, BatchVolume> volumes() {
    return Collections.unmodifiableMap(volumes);
  }

  long reservation(String name) {
    return reservations.get(name);
  }

  void release(String name) {
    ledger.tell(new Ledger.Release(reservations.get(name)));
  }

  void releaseAll() {
    reservations.values().forEach(id -> ledger.tell(new Ledger.Release(id)));
  }

  /**
   * The batch's one {@link Finished}. With {@code error} set (refused, or an atomic batch rolled
   * back) the reply is a failure; otherwise it lists what was created (or existed) and what failed.
   */
  Behavior<BatchWorker.Command> finish(VolumeException error) {
    List<CreateWorker.Created> created = new ArrayList<>();
    List<CreateWorker.Failed> failed = new ArrayList<>();
    if (error == null) {
      volumes.forEach((name, state) -> {
        if (state instanceof Published p) {
          created.add(new CreateWorker.Created(p.volume(), false));
        } else if (state instanceof Existed e) {
          created.add(new CreateWorker.Created(e.volume(), true));
        } else if (state instanceof Failed f) {
          failed.add(new CreateWorker.Failed(name, f.error()));
        }
      });
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    output.tell(new Finished(created, failed, error, new Stats(specs.size(), parallelism, mostPreparing, millis)));
    context.getLog().info("batch of {} volumes ({}): {} created, {} failed{} in {} ms, at most {} formatting at once",
        specs.size(), atomic ? "atomic" : "not atomic", created.size(), failed.size(),
        error != null ? ", " + error.code() : "", millis, mostPreparing);
    return Behaviors.stopped();
  }
}

package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a batch of volumes. The ledger admits it in one message (all or nothing when atomic);
 * then a stream starts one {@link CreateWorker} per volume with {@code parallelism} of them
 * allocating and formatting at once (a batch of 10,000 never runs 10,000 mkfs); a worker leaves
 * that bound as soon as its image is formatted, and flushes and publishes it outside the bound.
 * Each finished volume is reported as {@link Progress}; the batch ends with one {@link Finished}.
 *
 * <p>An atomic batch is a two-phase commit: every worker prepares its image under the temporary
 * name, and only when all have, the batch tells them to publish; if one fails, the others
 * discard theirs (or, if a publish fails, the published ones are deleted again), and every
 * reservation is released. The batch runs to its end even when its client has gone.
 */
public final class BatchWorker extends AbstractBehavior<BatchWorker.Command> {
  private static final Logger log = LoggerFactory.getLogger(BatchWorker.class);

  public interface Command {}

  /** What the client is sent: zero or more {@link Progress}, then one {@link Finished}. */
  public sealed interface Output {}

  /**
   * One volume is done: {@code outcome} is "created", "existed" or "failed". In an atomic batch
   * "created" means built; the batch's end says whether it was kept.
   */
  public record Progress(String name, String outcome, VolumeException error, int done, int total)
      implements Output {}

  /**
   * The batch's end. With {@code error} set (an atomic batch refused or rolled back) the reply is
   * a failure; otherwise it lists what was created and what failed.
   */
  public record Finished(
      List<CreateWorker.Created> created, List<CreateWorker.Failed> failed, VolumeException error, Stats stats)
      implements Output {
    public Finished {
      created = List.copyOf(created);
      failed = List.copyOf(failed);
    }
  }

  /** How the batch ran: its bound, and the most volumes it had allocating or formatting at once. */
  public record Stats(int volumes, int parallelism, int maxConcurrentWorkers, long millis) {}

  private record Job(VolumeSpec spec, long reservationId) {}

  private record Reserved(Ledger.BatchReply reply) implements Command {}

  private record StartWorker(Job job, ActorRef<CreateWorker.Result> slot) implements Command {}

  private record WorkerDone(CreateWorker.Result result) implements Command {}

  private record StreamDone(Throwable failure) implements Command {}

  private enum RolledBack implements Command { INSTANCE }

  private record Noted(Throwable failure) implements Command {}

  private record Committed(Throwable failure) implements Command {}

  /**
   * Where an atomic batch is after its stream: noting the batch on disk, publishing everything,
   * removing the note (the commit), or discarding / rolling back everything.
   */
  private enum Phase { BUILDING, NOTING, PUBLISHING, COMMITTING, DISCARDING, ROLLING_BACK }

  public static Behavior<Command> create(List<VolumeSpec> specs, boolean atomic, boolean progress,
      int parallelism, Duration workerTimeout, ActorRef<Ledger.Command> ledger, VolumeBuilder builder,
      ActorRef<Output> output) {
    return Behaviors.setup(context -> new BatchWorker(context, List.copyOf(specs), atomic, progress,
        parallelism, workerTimeout, ledger, builder, output));
  }

  private final List<VolumeSpec> specs;
  private final boolean atomic;
  private final boolean progress;
  private final int parallelism;
  private final Duration workerTimeout;
  private final ActorRef<Ledger.Command> ledger;
  private final VolumeBuilder builder;
  private final ActorRef<Output> output;
  private final Executor blocking;
  private final long started = System.nanoTime();
  private final ActorRef<CreateWorker.Result> workerAdapter;

  /** Each volume's latest outcome by name, in the batch's order; null while it has none. */
  private final Map<String, CreateWorker.Result> results = new LinkedHashMap<>();
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private final Map<String, ActorRef<CreateWorker.Command>> workers = new HashMap<>();
  /** The stream's slot of each worker still allocating or formatting. */
  private final Map<String, ActorRef<CreateWorker.Result>> slots = new HashMap<>();
  private Phase phase = Phase.BUILDING;
  private final String batchId = java.util.UUID.randomUUID().toString();
  /** Why an atomic batch is rolled back when no volume of it failed (its note could not be written). */
  private VolumeException batchFailure;
  private boolean streamDone;
  /** Workers that have not sent their last word yet (Created, Failed or Discarded). */
  private int unfinished;
  private int done;
  private boolean anyFailed;
  private int maxFormatting;
  private long spawned;

  private BatchWorker(ActorContext<Command> context, List<VolumeSpec> specs, boolean atomic, boolean progress,
      int parallelism, Duration workerTimeout, ActorRef<Ledger.Command> ledger, VolumeBuilder builder,
      ActorRef<Output> output) {
    super(context);
    this.specs = specs;
    this.atomic = atomic;
    this.progress = progress;
    this.parallelism = parallelism;
    this.workerTimeout = workerTimeout;
    this.ledger = ledger;
    this.builder = builder;
    this.output = output;
    this.blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    this.workerAdapter = context.messageAdapter(CreateWorker.Result.class, WorkerDone::new);
    specs.forEach(spec -> results.put(spec.name(), null));
    ledger.tell(new Ledger.ReserveBatch(specs, atomic,
        context.messageAdapter(Ledger.BatchReply.class, Reserved::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Reserved.class, this::onReserved)
        .onMessage(StartWorker.class, this::onStartWorker)
        .onMessage(WorkerDone.class, this::onWorkerDone)
        .onMessage(StreamDone.class, this::onStreamDone)
        .onMessage(Noted.class, this::onNoted)
        .onMessage(Committed.class, this::onCommitted)
        .onMessage(RolledBack.class, rolledBack -> releaseAllAndFail())
        .build();
  }

  private Behavior<Command> onReserved(Reserved reserved) {
    if (reserved.reply() instanceof Ledger.Refused refused) {
      // Refused as a whole before any file was made.
      return finish(new VolumeException(refused.code(), refused.message()));
    }
    List<Ledger.ReserveReply> outcomes = ((Ledger.BatchReserved) reserved.reply()).outcomes();
    for (int i = 0; i < specs.size(); i++) {
      VolumeSpec spec = specs.get(i);
      Ledger.ReserveReply outcome = outcomes.get(i);
      if (outcome instanceof Ledger.Admitted admitted) {
        jobs.put(spec.name(), new Job(spec, admitted.reservationId()));
      } else if (outcome instanceof Ledger.Existed existed) {
        report(new CreateWorker.Created(existed.volume(), true));
      } else if (outcome instanceof Ledger.Refused refused) {
        report(new CreateWorker.Failed(spec.name(), new VolumeException(refused.code(), refused.message())));
      }
    }
    if (jobs.isEmpty()) {
      return finish(null);
    }
    unfinished = jobs.size();
    ActorRef<Command> self = getContext().getSelf();
    // The stream bounds how many workers allocate and format at once: a worker's element
    // completes when its image is formatted (or it failed), and the next one starts.
    getContext().pipeToSelf(
        Source.from(List.copyOf(jobs.values()))
            .mapAsyncUnordered(parallelism, job -> AskPattern.<Command, CreateWorker.Result>ask(
                self, slot -> new StartWorker(job, slot), workerTimeout, getContext().getSystem().scheduler()))
            .runWith(Sink.ignore(), getContext().getSystem()),
        (ok, failure) -> new StreamDone(failure));
    return this;
  }

  private Behavior<Command> onStartWorker(StartWorker start) {
    Job job = start.job();
    String name = job.spec().name();
    if (atomic && anyFailed) {
      // The batch will be rolled back anyway: the rest of it is not started.
      CreateWorker.Discarded notStarted = new CreateWorker.Discarded(name);
      results.put(name, notStarted);
      unfinished--;
      start.slot().tell(notStarted);
      return this;
    }
    slots.put(name, start.slot());
    maxFormatting = Math.max(maxFormatting, slots.size());
    Behavior<CreateWorker.Command> worker = atomic
        ? CreateWorker.atomicMember(job.spec(), builder, workerAdapter)
        : CreateWorker.member(job.spec(), job.reservationId(), ledger, builder, workerAdapter);
    workers.put(name, getContext().spawn(
        Behaviors.supervise(worker).onFailure(SupervisorStrategy.stop()), "volume-" + (++spawned)));
    return this;
  }

  private Behavior<Command> onWorkerDone(WorkerDone message) {
    CreateWorker.Result result = message.result();
    ActorRef<CreateWorker.Result> slot = slots.remove(result.name());
    if (slot != null) {
      slot.tell(result);
    }
    if (result instanceof CreateWorker.Prepared) {
      if (atomic) {
        report(result);
      }
      return this;
    }
    unfinished--;
    if (phase == Phase.BUILDING) {
      report(result);
    } else {
      results.put(result.name(), result);
    }
    return next();
  }

  private Behavior<Command> onStreamDone(StreamDone message) {
    streamDone = true;
    if (message.failure() != null) {
      log.error("batch stream failed: {}", message.failure().toString());
    }
    return next();
  }

  /** Decides what comes next once the stream has run and the workers have answered. */
  private Behavior<Command> next() {
    if (!streamDone) {
      return this;
    }
    if (!atomic) {
      return unfinished == 0 ? finish(null) : this;
    }
    switch (phase) {
      case BUILDING -> {
        if (workersLeft().size() != unfinished || !slots.isEmpty()) {
          return this; // a worker is still formatting (its slot timed out) or answering
        }
        boolean allPrepared = results.values().stream().noneMatch(r -> r instanceof CreateWorker.Failed)
            && results.values().stream().allMatch(r -> r != null);
        if (!allPrepared) {
          return discardAll();
        }
        // A crash from here on must not leave part of the batch: note it on disk first.
        phase = Phase.NOTING;
        List<String> names = List.copyOf(jobs.keySet());
        getContext().pipeToSelf(onBlocking(() -> builder.beginBatch(batchId, names)),
            (ok, failure) -> new Noted(failure));
        return this;
      }
      case PUBLISHING -> {
        if (unfinished > 0) {
          return this;
        }
        if (results.values().stream().noneMatch(r -> r instanceof CreateWorker.Failed)) {
          phase = Phase.COMMITTING;
          // One flush of the file system for the whole batch, then the note goes: committed.
          getContext().pipeToSelf(onBlocking(() -> builder.commitBatch(batchId)),
              (ok, failure) -> new Committed(failure));
          return this;
        }
        return rollBack();
      }
      case DISCARDING -> {
        return unfinished > 0 ? this : releaseAllAndFail();
      }
      default -> {
        return this;
      }
    }
  }

  private Behavior<Command> onNoted(Noted noted) {
    if (noted.failure() != null) {
      batchFailure = CreateWorker.asVolumeException(noted.failure());
      return discardAll();
    }
    phase = Phase.PUBLISHING;
    workersLeft().forEach(worker -> worker.tell(CreateWorker.Publish.INSTANCE));
    return this;
  }

  private Behavior<Command> onCommitted(Committed committed) {
    if (committed.failure() != null) {
      batchFailure = CreateWorker.asVolumeException(committed.failure());
      return rollBack();
    }
    for (Job job : jobs.values()) {
      Volume volume = ((CreateWorker.Created) results.get(job.spec().name())).volume();
      ledger.tell(new Ledger.Complete(job.reservationId(), volume));
    }
    return finish(null);
  }

  private Behavior<Command> discardAll() {
    phase = Phase.DISCARDING;
    List<ActorRef<CreateWorker.Command>> left = workersLeft();
    left.forEach(worker -> worker.tell(CreateWorker.Discard.INSTANCE));
    return left.isEmpty() ? releaseAllAndFail() : this;
  }

  /** Deletes what the batch published, then removes its note. */
  private Behavior<Command> rollBack() {
    phase = Phase.ROLLING_BACK;
    List<String> published = results.values().stream()
        .filter(r -> r instanceof CreateWorker.Created c && !c.existed())
        .map(CreateWorker.Result::name).toList();
    getContext().pipeToSelf(CompletableFuture.runAsync(() -> {
      published.forEach(this::deleteQuietly);
      try {
        builder.endBatch(batchId);
      } catch (VolumeException e) {
        log.warn("rolling back batch {}: {}", batchId, e.getMessage());
      }
    }, blocking), (ok, failure) -> RolledBack.INSTANCE);
    return this;
  }

  /** The workers of this batch that have not sent their last word. */
  private List<ActorRef<CreateWorker.Command>> workersLeft() {
    List<ActorRef<CreateWorker.Command>> left = new ArrayList<>();
    results.forEach((name, result) -> {
      if (result instanceof CreateWorker.Prepared && workers.containsKey(name)) {
        left.add(workers.get(name));
      }
    });
    return left;
  }

  private Behavior<Command> releaseAllAndFail() {
    for (Job job : jobs.values()) {
      ledger.tell(new Ledger.Release(job.reservationId()));
    }
    return finish(rollbackError());
  }

  /** Records a volume's outcome and, when asked for, tells the client. */
  private void report(CreateWorker.Result result) {
    results.put(result.name(), result);
    anyFailed |= result instanceof CreateWorker.Failed;
    done++;
    if (progress) {
      String outcome = result instanceof CreateWorker.Failed ? "failed"
          : result instanceof CreateWorker.Created created && created.existed() ? "existed"
          : "created";
      VolumeException error = result instanceof CreateWorker.Failed failed ? failed.error() : null;
      output.tell(new Progress(result.name(), outcome, error, done, specs.size()));
    }
  }

  private VolumeException rollbackError() {
    CreateWorker.Failed first = null;
    List<Map<String, Object>> outcomes = new ArrayList<>();
    for (Map.Entry<String, CreateWorker.Result> entry : results.entrySet()) {
      Map<String, Object> outcome = new LinkedHashMap<>();
      outcome.put("name", entry.getKey());
      CreateWorker.Result result = entry.getValue();
      if (result instanceof CreateWorker.Failed failed) {
        first = first == null ? failed : first;
        outcome.put("outcome", "failed");
        outcome.put("error", Map.of("code", failed.error().code().name(), "message", failed.error().getMessage()));
      } else if (result instanceof CreateWorker.Created created && created.existed()) {
        outcome.put("outcome", "existed");
      } else if (result instanceof CreateWorker.Discarded && !workers.containsKey(entry.getKey())) {
        outcome.put("outcome", "not started");
      } else {
        outcome.put("outcome", "rolled back");
      }
      outcomes.add(outcome);
    }
    ErrorCode code = first != null ? first.error().code()
        : batchFailure != null ? batchFailure.code() : ErrorCode.INTERNAL;
    String why = first != null ? first.name() + " failed: " + first.error().getMessage()
        : batchFailure != null ? batchFailure.getMessage() : "a volume did not finish";
    return new VolumeException(code, "atomic batch of " + specs.size() + " volumes rolled back, nothing was kept; "
        + why, Map.of("outcomes", outcomes), null);
  }

  private Behavior<Command> finish(VolumeException error) {
    List<CreateWorker.Created> created = new ArrayList<>();
    List<CreateWorker.Failed> failed = new ArrayList<>();
    if (error == null) {
      for (CreateWorker.Result result : results.values()) {
        if (result instanceof CreateWorker.Created c) {
          created.add(c);
        } else if (result instanceof CreateWorker.Failed f) {
          failed.add(f);
        }
      }
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    output.tell(new Finished(created, failed, error, new Stats(specs.size(), parallelism, maxFormatting, millis)));
    getContext().getLog().info("batch of {} volumes ({}): {} created, {} failed{} in {} ms, at most {} formatting at once",
        specs.size(), atomic ? "atomic" : "not atomic", created.size(), failed.size(),
        error != null ? ", " + error.code() : "", millis, maxFormatting);
    return Behaviors.stopped();
  }

  private interface DiskStep {
    void run() throws VolumeException;
  }

  private CompletableFuture<Void> onBlocking(DiskStep step) {
    return CompletableFuture.runAsync(() -> {
      try {
        step.run();
      } catch (VolumeException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, blocking);
  }

  /** Runs on the blocking dispatcher: no actor state here. */
  private void deleteQuietly(String name) {
    try {
      builder.delete(name);
    } catch (VolumeException e) {
      log.warn("rolling back {}: {}", name, e.getMessage());
    }
  }
}

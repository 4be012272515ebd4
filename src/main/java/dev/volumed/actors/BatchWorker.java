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
import dev.volumed.model.VolumeSpec;
import dev.volumed.protocol.ErrorCode;
import dev.volumed.protocol.VolumeException;
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
 * Makes a batch of volumes: the ledger admits it in one message (all or nothing when atomic),
 * then a stream starts one {@link CreateWorker} per volume with bounded parallelism, each
 * finished volume is reported as progress, and the batch ends with one {@link Finished}.
 * An atomic batch builds every image under its temporary name first and publishes them only
 * when all are built; if any fails, every image is removed and every reservation released.
 * The batch runs to its end even when the client that asked for it has gone.
 */
public final class BatchWorker extends AbstractBehavior<BatchWorker.Command> {

  public interface Command {}

  /** What the client is sent: zero or more {@link Progress}, then one {@link Finished}. */
  public sealed interface Output {}

  /** One volume is done: {@code outcome} is "created", "existed" or "failed". */
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

  /** How the batch ran: its parallelism bound and the most workers it had running at once. */
  public record Stats(int volumes, int parallelism, int maxConcurrentWorkers, long millis) {}

  private static final Logger log = LoggerFactory.getLogger(BatchWorker.class);

  private record Job(VolumeSpec spec, long reservationId) {}

  private record Reserved(Ledger.BatchReply reply) implements Command {}

  private record StartWorker(Job job, ActorRef<CreateWorker.Result> replyTo) implements Command {}

  private record WorkerDone(CreateWorker.Result result) implements Command {}

  private record StreamDone(Throwable failure) implements Command {}

  private record Published(Throwable failure) implements Command {}

  private enum RolledBack implements Command { INSTANCE }

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

  /** Each volume's outcome by name, in the batch's order; null while not finished. */
  private final Map<String, CreateWorker.Result> results = new LinkedHashMap<>();
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private final Map<String, ActorRef<CreateWorker.Result>> waiting = new HashMap<>();
  private final ActorRef<CreateWorker.Result> workerAdapter;
  private int done;
  private int running;
  private int maxRunning;
  private long workers;

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
        .onMessage(Published.class, this::onPublished)
        .onMessage(RolledBack.class, this::onRolledBack)
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
        record(new CreateWorker.Created(existed.volume(), true));
      } else if (outcome instanceof Ledger.Refused refused) {
        record(new CreateWorker.Failed(spec.name(), new VolumeException(refused.code(), refused.message())));
      }
    }
    if (jobs.isEmpty()) {
      return finish(null);
    }
    ActorRef<Command> self = getContext().getSelf();
    // The stream bounds how many workers run at once; each element is one worker's whole job.
    getContext().pipeToSelf(
        Source.from(List.copyOf(jobs.values()))
            .mapAsyncUnordered(parallelism, job -> AskPattern.<Command, CreateWorker.Result>ask(
                self, replyTo -> new StartWorker(job, replyTo), workerTimeout, getContext().getSystem().scheduler()))
            .runWith(Sink.ignore(), getContext().getSystem()),
        (ok, failure) -> new StreamDone(failure));
    return this;
  }

  private Behavior<Command> onStartWorker(StartWorker start) {
    Job job = start.job();
    waiting.put(job.spec().name(), start.replyTo());
    running++;
    maxRunning = Math.max(maxRunning, running);
    Behavior<CreateWorker.Command> worker = atomic
        ? CreateWorker.prepare(job.spec(), builder, workerAdapter)
        : CreateWorker.createReserved(job.spec(), job.reservationId(), ledger, builder, workerAdapter);
    getContext().spawn(Behaviors.supervise(worker).onFailure(SupervisorStrategy.stop()), "volume-" + (++workers));
    return this;
  }

  private Behavior<Command> onWorkerDone(WorkerDone message) {
    CreateWorker.Result result = message.result();
    running--;
    record(result);
    ActorRef<CreateWorker.Result> replyTo = waiting.remove(result.name());
    if (replyTo != null) {
      replyTo.tell(result);
    }
    return this;
  }

  private Behavior<Command> onStreamDone(StreamDone streamDone) {
    if (streamDone.failure() != null) {
      getContext().getLog().error("batch stream failed: {}", streamDone.failure().toString());
      for (Map.Entry<String, CreateWorker.Result> entry : List.copyOf(results.entrySet())) {
        if (entry.getValue() == null) {
          record(new CreateWorker.Failed(entry.getKey(), new VolumeException(ErrorCode.INTERNAL,
              "volume " + entry.getKey() + " did not finish within " + workerTimeout)));
        }
      }
    }
    if (!atomic) {
      return finish(null);
    }
    List<VolumeBuilder.Prepared> prepared = prepared();
    if (prepared.size() == jobs.size()) {
      getContext().pipeToSelf(CompletableFuture.runAsync(() -> publishAll(prepared), blocking),
          (ok, failure) -> new Published(failure));
    } else {
      getContext().pipeToSelf(CompletableFuture.runAsync(() -> prepared.forEach(builder::discard), blocking),
          (ok, failure) -> RolledBack.INSTANCE);
    }
    return this;
  }

  /** Publishes every prepared image; if one cannot be, the ones already published are deleted again. */
  private void publishAll(List<VolumeBuilder.Prepared> prepared) {
    List<VolumeBuilder.Prepared> published = new ArrayList<>();
    for (VolumeBuilder.Prepared one : prepared) {
      try {
        builder.publish(one);
        published.add(one);
      } catch (VolumeException e) {
        for (VolumeBuilder.Prepared undo : published) {
          deleteQuietly(undo.volume().name());
        }
        prepared.stream().filter(p -> p != one && !published.contains(p)).forEach(builder::discard);
        throw new java.util.concurrent.CompletionException(new PublishFailed(one.volume().name(), e));
      }
    }
  }

  private Behavior<Command> onPublished(Published published) {
    if (published.failure() == null) {
      for (VolumeBuilder.Prepared one : prepared()) {
        Job job = jobs.get(one.volume().name());
        ledger.tell(new Ledger.Complete(job.reservationId(), one.volume()));
        results.put(one.volume().name(), new CreateWorker.Created(one.volume(), false));
      }
      return finish(null);
    }
    Throwable cause = published.failure().getCause() != null ? published.failure().getCause() : published.failure();
    if (cause instanceof PublishFailed failed) {
      results.put(failed.name, new CreateWorker.Failed(failed.name, failed.error));
    }
    return onRolledBack(RolledBack.INSTANCE);
  }

  private Behavior<Command> onRolledBack(RolledBack rolledBack) {
    for (Job job : jobs.values()) {
      ledger.tell(new Ledger.Release(job.reservationId()));
    }
    return finish(rollbackError());
  }

  // helpers

  private void record(CreateWorker.Result result) {
    results.put(result.name(), result);
    done++;
    if (progress) {
      String outcome = result instanceof CreateWorker.Failed ? "failed"
          : result instanceof CreateWorker.Created created && created.existed() ? "existed"
          : "created";
      VolumeException error = result instanceof CreateWorker.Failed failed ? failed.error() : null;
      output.tell(new Progress(result.name(), outcome, error, done, specs.size()));
    }
  }

  private List<VolumeBuilder.Prepared> prepared() {
    List<VolumeBuilder.Prepared> prepared = new ArrayList<>();
    for (CreateWorker.Result result : results.values()) {
      if (result instanceof CreateWorker.Prepared p) {
        prepared.add(p.prepared());
      }
    }
    return prepared;
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
      } else {
        outcome.put("outcome", "rolled back");
      }
      outcomes.add(outcome);
    }
    ErrorCode code = first != null ? first.error().code() : ErrorCode.INTERNAL;
    String why = first != null ? first.name() + " failed: " + first.error().getMessage() : "a volume did not finish";
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
    output.tell(new Finished(created, failed, error, new Stats(specs.size(), parallelism, maxRunning, millis)));
    getContext().getLog().info("batch of {} volumes ({}): {} created, {} failed{} in {} ms, at most {} at once",
        specs.size(), atomic ? "atomic" : "not atomic", created.size(), failed.size(),
        error != null ? ", " + error.code() : "", millis, maxRunning);
    return Behaviors.stopped();
  }

  /** Runs on the blocking dispatcher: no actor state here. */
  private void deleteQuietly(String name) {
    try {
      builder.delete(name);
    } catch (VolumeException e) {
      log.warn("rolling back {}: {}", name, e.getMessage());
    }
  }

  /** Carries the name of the volume whose publication failed out of the blocking future. */
  private static final class PublishFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String name;
    final VolumeException error;

    PublishFailed(String name, VolumeException error) {
      super(error.getMessage(), error);
      this.name = name;
      this.error = error;
    }
  }
}

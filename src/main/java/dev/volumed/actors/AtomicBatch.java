package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import dev.volumed.actors.BatchRun.TimedOut;
import dev.volumed.actors.BatchRun.WorkerSaid;
import dev.volumed.actors.BatchVolume.Built;
import dev.volumed.actors.BatchVolume.Failed;
import dev.volumed.actors.BatchVolume.Published;
import dev.volumed.actors.BatchVolume.RolledBack;
import dev.volumed.actors.BatchVolume.Step;
import dev.volumed.actors.BatchVolume.Working;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An atomic batch, a two-phase commit in phases, one behaviour each: <em>building</em> (every
 * worker prepares its image under the temporary name), <em>noting</em> the batch on disk,
 * <em>publishing</em> every image, <em>committing</em> (one flush, then the note goes) — or, once
 * a volume has failed, <em>discarding</em> the prepared images or <em>rolling back</em> the
 * published ones. The batch holds every reservation itself and completes them only after the
 * commit; in every other end it releases them all and answers with each volume's outcome.
 */
final class AtomicBatch {
  private static final Logger log = LoggerFactory.getLogger(AtomicBatch.class);

  /** A step on disk (note, commit, roll-back) has ended; {@code failure} is null when it worked. */
  private record DiskStepDone(Throwable failure) implements BatchWorker.Command {}

  private final BatchRun run;
  private final String batchId = UUID.randomUUID().toString();

  private AtomicBatch(BatchRun run) {
    this.run = run;
  }

  static Behavior<BatchWorker.Command> start(BatchRun run) {
    run.startMore();
    return new AtomicBatch(run).building();
  }

  // ---- building: prepare every image; once one fails, start no more ------------------------

  private Behavior<BatchWorker.Command> building() {
    return Behaviors.receive(BatchWorker.Command.class)
        .onMessage(WorkerSaid.class, said -> onBuildingWord(said.result()))
        .onMessage(TimedOut.class, timedOut -> onBuildingTimeout(timedOut.name()))
        .build();
  }

  private Behavior<BatchWorker.Command> onBuildingTimeout(String name) {
    if (run.state(name) instanceof Working working) {
      run.settle(name, run.giveUp(working, name), true);
    }
    return afterBuildingStep();
  }

  private Behavior<BatchWorker.Command> onBuildingWord(CreateWorker.Result result) {
    if (run.state(result.name()) instanceof Working working) {
      if (result instanceof CreateWorker.Prepared) {
        // Reported as "created" (built); the batch's end says whether it was kept.
        run.settle(result.name(), new Built(working.worker()), true);
      } else if (result instanceof CreateWorker.Failed failed) {
        run.settle(result.name(), new Failed(failed.error()), true);
      }
    }
    return afterBuildingStep();
  }

  private Behavior<BatchWorker.Command> afterBuildingStep() {
    if (run.anyFailed()) {
      // The batch will be rolled back anyway: the rest of it is not started.
      run.stopStarting();
    }
    run.startMore();
    if (!run.startingDone()) {
      return Behaviors.same();
    }
    if (run.anyFailed()) {
      return discarding(null);
    }
    // A crash from here on must not leave part of the batch: note it on disk first.
    List<String> names = run.names(v -> v instanceof Built);
    onDisk(() -> run.builder.beginBatch(batchId, names));
    return Behaviors.receive(BatchWorker.Command.class)
        .onMessage(DiskStepDone.class, this::onNoted)
        .build();
  }

  // ---- noting, then publishing --------------------------------------------------------------

  private Behavior<BatchWorker.Command> onNoted(DiskStepDone noted) {
    if (noted.failure() != null) {
      return discarding(CreateWorker.asVolumeException(noted.failure()));
    }
    tellBuilt(CreateWorker.Publish.INSTANCE, Step.PUBLISHING);
    return Behaviors.receive(BatchWorker.Command.class)
        .onMessage(WorkerSaid.class, said -> onPublishingWord(said.result()))
        .onMessage(TimedOut.class, timedOut -> onPublishingTimeout(timedOut.name()))
        .build();
  }

  private Behavior<BatchWorker.Command> onPublishingWord(CreateWorker.Result result) {
    if (run.state(result.name()) instanceof Working) {
      run.settle(result.name(), result instanceof CreateWorker.Created created
          ? new Published(created.volume())
          : new Failed(((CreateWorker.Failed) result).error()), false);
    }
    return afterPublishingStep();
  }

  private Behavior<BatchWorker.Command> onPublishingTimeout(String name) {
    if (run.state(name) instanceof Working working) {
      run.settle(name, run.giveUp(working, name), false);
    }
    return afterPublishingStep();
  }

  private Behavior<BatchWorker.Command> afterPublishingStep() {
    if (run.anyWorking()) {
      return Behaviors.same();
    }
    if (run.anyFailed()) {
      return rollingBack(null);
    }
    // One flush of the file system for the whole batch, then the note goes: committed.
    onDisk(() -> run.builder.commitBatch(batchId));
    return Behaviors.receive(BatchWorker.Command.class)
        .onMessage(DiskStepDone.class, this::onCommitted)
        .build();
  }

  private Behavior<BatchWorker.Command> onCommitted(DiskStepDone committed) {
    if (committed.failure() != null) {
      return rollingBack(CreateWorker.asVolumeException(committed.failure()));
    }
    run.volumes().forEach((name, state) -> {
      if (state instanceof Published published) {
        run.ledger.tell(new Ledger.Complete(run.reservation(name), published.volume()));
      }
    });
    return run.finish(null);
  }

  // ---- discarding the prepared images, or rolling back the published ones -------------------

  /** {@code why}: what failed when no volume did (the batch's note could not be written). */
  private Behavior<BatchWorker.Command> discarding(VolumeException why) {
    tellBuilt(CreateWorker.Discard.INSTANCE, Step.DISCARDING);
    if (!run.anyWorking()) {
      return releaseAllAndFail(why);
    }
    return Behaviors.receive(BatchWorker.Command.class)
        .onMessage(WorkerSaid.class, said -> afterDiscardStep(said.result().name(), why))
        .onMessage(TimedOut.class, timedOut -> onDiscardTimeout(timedOut.name(), why))
        .build();
  }

  private Behavior<BatchWorker.Command> onDiscardTimeout(String name, VolumeException why) {
    if (run.state(name) instanceof Working working) {
      // Its discard is under way on the blocking dispatcher: the worker is not waited for.
      run.giveUp(working, name);
    }
    return afterDiscardStep(name, why);
  }

  private Behavior<BatchWorker.Command> afterDiscardStep(String name, VolumeException why) {
    if (run.state(name) instanceof Working) {
      run.settle(name, new RolledBack(), false);
    }
    return run.anyWorking() ? Behaviors.same() : releaseAllAndFail(why);
  }

  /** Deletes what the batch published, then removes its note. */
  private Behavior<BatchWorker.Command> rollingBack(VolumeException why) {
    List<String> published = run.names(v -> v instanceof Published);
    run.context.pipeToSelf(CompletableFuture.runAsync(() -> {
      published.forEach(this::deleteQuietly);
      try {
        run.builder.endBatch(batchId);
      } catch (VolumeException e) {
        log.warn("rolling back batch {}: {}", batchId, e.getMessage());
      }
    }, run.blocking), (ok, failure) -> new DiskStepDone(failure));
    return Behaviors.receive(BatchWorker.Command.class)
        .onMessage(DiskStepDone.class, rolledBack -> {
          published.forEach(name -> run.settle(name, new RolledBack(), false));
          return releaseAllAndFail(why);
        })
        .build();
  }

  /** Tells every built volume's worker to go on, and waits for it (bounded by the timeout). */
  private void tellBuilt(CreateWorker.Command command, Step step) {
    for (String name : run.names(v -> v instanceof Built)) {
      ActorRef<CreateWorker.Command> worker = ((Built) run.state(name)).worker();
      worker.tell(command);
      run.working(name, worker, step);
    }
  }

  private Behavior<BatchWorker.Command> releaseAllAndFail(VolumeException why) {
    run.releaseAll();
    return run.finish(rollbackError(why));
  }

  /** The batch's failure: the first volume that failed (else {@code why}), with every volume's outcome. */
  private VolumeException rollbackError(VolumeException why) {
    String firstName = null;
    VolumeException first = null;
    List<Map<String, Object>> outcomes = new ArrayList<>();
    for (Map.Entry<String, BatchVolume> entry : run.volumes().entrySet()) {
      Map<String, Object> outcome = new LinkedHashMap<>();
      outcome.put("name", entry.getKey());
      outcome.put("outcome", BatchVolume.word(entry.getValue()));
      if (entry.getValue() instanceof Failed failed) {
        if (first == null) {
          firstName = entry.getKey();
          first = failed.error();
        }
        outcome.put("error", Map.of("code", failed.error().code().name(), "message", failed.error().getMessage()));
      }
      outcomes.add(outcome);
    }
    ErrorCode code = first != null ? first.code() : why != null ? why.code() : ErrorCode.INTERNAL;
    String because = first != null ? firstName + " failed: " + first.getMessage()
        : why != null ? why.getMessage() : "a volume did not finish";
    return new VolumeException(code, "atomic batch of " + run.specs.size() + " volumes rolled back, nothing was kept; "
        + because, Map.of("outcomes", outcomes), null);
  }

  private interface DiskStep {
    void run() throws VolumeException;
  }

  /** Runs a step on the blocking dispatcher; its end comes back as {@link DiskStepDone}. */
  private void onDisk(DiskStep step) {
    run.context.pipeToSelf(CompletableFuture.runAsync(() -> {
      try {
        step.run();
      } catch (VolumeException e) {
        throw new CompletionException(e);
      }
    }, run.blocking), (ok, failure) -> new DiskStepDone(failure));
  }

  /** Runs on the blocking dispatcher: no actor state here. */
  private void deleteQuietly(String name) {
    try {
      run.builder.delete(name);
    } catch (VolumeException e) {
      log.warn("rolling back {}: {}", name, e.getMessage());
    }
  }
}

package dev.volumed.actors;

import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import dev.volumed.actors.BatchRun.TimedOut;
import dev.volumed.actors.BatchRun.WorkerSaid;
import dev.volumed.actors.BatchVolume.Failed;
import dev.volumed.actors.BatchVolume.Published;
import dev.volumed.actors.BatchVolume.Step;
import dev.volumed.actors.BatchVolume.Working;

/**
 * A batch that is not atomic: each volume is made or fails on its own. Its workers complete or
 * release their own reservations in the ledger; the batch releases only those of the workers it
 * gave up on. It has one phase: it ends once every volume has an outcome.
 */
final class PartialBatch {

  private PartialBatch() {}

  static Behavior<BatchWorker.Command> start(BatchRun run) {
    run.startMore();
    return building(run);
  }

  private static Behavior<BatchWorker.Command> building(BatchRun run) {
    return Behaviors.receive(BatchWorker.Command.class)
        .onMessage(WorkerSaid.class, said -> onWorkerSaid(run, said.result()))
        .onMessage(TimedOut.class, timedOut -> onTimedOut(run, timedOut.name()))
        .build();
  }

  private static Behavior<BatchWorker.Command> onWorkerSaid(BatchRun run, CreateWorker.Result result) {
    String name = result.name();
    if (!(run.state(name) instanceof Working working)) {
      return Behaviors.same(); // a word from a worker given up on: it is stopped already
    }
    if (result instanceof CreateWorker.Prepared) {
      // Formatted: it flushes and publishes outside the bound, and the next volume starts.
      run.working(name, working.worker(), Step.PUBLISHING);
    } else if (result instanceof CreateWorker.Created created) {
      run.settle(name, new Published(created.volume()), true);
    } else if (result instanceof CreateWorker.Failed failed) {
      run.settle(name, new Failed(failed.error()), true);
    }
    return next(run);
  }

  private static Behavior<BatchWorker.Command> onTimedOut(BatchRun run, String name) {
    if (run.state(name) instanceof Working working) {
      run.settle(name, run.giveUp(working, name), true);
      // The stopped worker will neither complete nor release its reservation.
      run.release(name);
    }
    return next(run);
  }

  private static Behavior<BatchWorker.Command> next(BatchRun run) {
    run.startMore();
    return run.startingDone() ? run.finish(null) : Behaviors.same();
  }
}

package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;

/**
 * Where one volume of a batch stands while the batch runs, and once it has ended, how that volume
 * came out. Every volume has exactly one of these from the ledger's answer on; a volume with a
 * worker ({@link Working}, {@link Built}) has not said its last word yet.
 */
sealed interface BatchVolume {

  /** What a worker is doing while the batch waits on it, each bounded by the batch's timeout. */
  enum Step {
    PREPARING("allocating and formatting"),
    PUBLISHING("publishing"),
    DISCARDING("discarding its image");

    final String doing;

    Step(String doing) {
      this.doing = doing;
    }
  }

  /** Admitted, its worker not started: still waiting for a place, or never started (an atomic batch failed). */
  record NotStarted() implements BatchVolume {}

  /** Its worker is at {@code step}; only {@link Step#PREPARING} takes one of the batch's places. */
  record Working(ActorRef<CreateWorker.Command> worker, Step step) implements BatchVolume {}

  /** Atomic batch: prepared under its temporary name, waiting to be published or discarded. */
  record Built(ActorRef<CreateWorker.Command> worker) implements BatchVolume {}

  /** Made and published (in an atomic batch: kept once the batch has committed). */
  record Published(Volume volume) implements BatchVolume {}

  /** An identical volume was already there. */
  record Existed(Volume volume) implements BatchVolume {}

  /** Refused, failed, or given up on after the timeout. */
  record Failed(VolumeException error) implements BatchVolume {}

  /** Atomic batch: it was built or published, then removed again because the batch did not happen. */
  record RolledBack() implements BatchVolume {}

  /** The word a volume's outcome has on the wire in an atomic batch's roll-back details. */
  static String word(BatchVolume volume) {
    if (volume instanceof Failed) {
      return "failed";
    }
    if (volume instanceof Existed) {
      return "existed";
    }
    return volume instanceof NotStarted ? "not started" : "rolled back";
  }
}

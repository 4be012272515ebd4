package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import dev.volumed.accounting.Books;
import dev.volumed.accounting.Decision;
import dev.volumed.accounting.Demand;
import dev.volumed.actors.LedgerProtocol.ChangeReply;
import dev.volumed.actors.LedgerProtocol.Found;
import dev.volumed.actors.LedgerProtocol.Refused;
import dev.volumed.actors.LedgerProtocol.Unchanged;
import dev.volumed.model.ChangeRules;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The ledger's side of changing a published volume in place (resize, reclaim): which change may
 * begin, the books' decision on a growth, and the books moved when it ends. Plain state with no
 * actor in it: the {@link Ledger} calls it on its own turn and watches the owners. A volume being
 * changed takes no delete and no other change until its change ends (BUSY, naming the change).
 */
final class Changes {
  private final String pool;
  private final Volumes<ActorRef<?>> volumes;
  private final Books books;
  private final SpaceReadings space;
  private final Logger log;

  Changes(String pool, Volumes<ActorRef<?>> volumes, Books books, SpaceReadings space, Logger log) {
    this.pool = pool;
    this.volumes = volumes;
    this.books = books;
    this.space = space;
    this.log = log;
  }

  /** BUSY while the name is being changed; null otherwise. */
  Refused busy(String name) {
    Volumes.Change change = volumes.changing(name);
    return change == null ? null : new Refused(ErrorCode.BUSY, "volume " + name + " in pool " + pool + " is "
        + change.doing + "; try again when that finishes");
  }

  /** conflict: the ledger's answer for a name being created or deleted (null when neither). */
  ChangeReply beginResize(String name, long size, Refused conflict, ActorRef<?> owner) {
    Volume volume = volumes.get(name);
    Refused refused = refusal(name, volume, conflict);
    if (refused != null) {
      return refused;
    }
    Optional<VolumeException> problem = ChangeRules.resizeProblem(volume, pool, size);
    if (problem.isPresent()) {
      return new Refused(problem.get().code(), problem.get().getMessage());
    }
    if (size == volume.spec().size()) {
      return new Unchanged(volume);
    }
    // The growth alone is decided: rule 2, and rule 1 too for fallocate/full.
    if (space.decide(Demand.growth(volume.spec(), size)) instanceof Decision.Refuse refuse) {
      return new Refused(refuse.code(), "growing volume " + name + " to " + size + " bytes: " + refuse.message());
    }
    books.reserveGrowth(volume.spec(), size);
    volumes.beginChange(name, Volumes.Change.RESIZE, size, owner);
    return new Found(volume);
  }

  void resizeFinished(String name, long size, Optional<Volume> resized) {
    Volume before = volumes.get(name);
    if (volumes.changing(name) != Volumes.Change.RESIZE || before == null) {
      return; // its owner stopped first, and that gave the growth back
    }
    volumes.endChange(name);
    if (resized.isPresent()) {
      books.landGrowth(before.spec(), size, before.allocatedBytes(), resized.get().allocatedBytes());
      volumes.put(resized.get());
    } else {
      books.releaseGrowth(before.spec(), size);
    }
    space.stale();
  }

  ChangeReply beginReclaim(String name, Refused conflict, ActorRef<?> owner) {
    Volume volume = volumes.get(name);
    Refused refused = refusal(name, volume, conflict);
    if (refused != null) {
      return refused;
    }
    Optional<VolumeException> problem = ChangeRules.reclaimProblem(volume, pool);
    if (problem.isPresent()) {
      return new Refused(problem.get().code(), problem.get().getMessage());
    }
    volumes.beginChange(name, Volumes.Change.RECLAIM, 0, owner);
    return new Found(volume);
  }

  void reclaimFinished(String name, Optional<Volume> measured) {
    Volume before = volumes.get(name);
    if (volumes.changing(name) != Volumes.Change.RECLAIM || before == null) {
      return;
    }
    volumes.endChange(name);
    if (measured.isPresent()) {
      books.remeasured(before.allocatedBytes(), measured.get().allocatedBytes());
      volumes.put(measured.get());
      space.stale();
    }
  }

  /** The owner stopped without saying how its changes ended: a growth it held is given back. */
  void ownerStopped(ActorRef<?> owner) {
    List<Volumes.Abandoned> abandoned = volumes.dropChangesOf(owner);
    for (Volumes.Abandoned change : abandoned) {
      Volume volume = volumes.get(change.name());
      if (change.change() == Volumes.Change.RESIZE && volume != null) {
        books.releaseGrowth(volume.spec(), change.size());
      }
      log.warn("pool {}: the worker {} {} stopped without saying how it ended; the books keep its old size until"
          + " the next start-up reads the image again", pool, change.name(), change.change().doing);
    }
  }

  private Refused refusal(String name, Volume volume, Refused conflict) {
    if (conflict != null) {
      return conflict;
    }
    if (volume == null) {
      return new Refused(ErrorCode.NOT_FOUND, "no volume " + name + " in pool " + pool);
    }
    return null;
  }
}

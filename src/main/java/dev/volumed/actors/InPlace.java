package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import dev.volumed.accounting.Books;
import dev.volumed.accounting.Decision;
import dev.volumed.accounting.Demand;
import dev.volumed.accounting.Preallocation;
import dev.volumed.actors.LedgerProtocol.BeginChange;
import dev.volumed.actors.LedgerProtocol.BeginPreallocate;
import dev.volumed.actors.LedgerProtocol.BeginReclaim;
import dev.volumed.actors.LedgerProtocol.BeginResize;
import dev.volumed.actors.LedgerProtocol.ChangeEnded;
import dev.volumed.actors.LedgerProtocol.ChangeReply;
import dev.volumed.actors.LedgerProtocol.DeleteReply;
import dev.volumed.actors.LedgerProtocol.Found;
import dev.volumed.actors.LedgerProtocol.PreallocateFailed;
import dev.volumed.actors.LedgerProtocol.PreallocateFinished;
import dev.volumed.actors.LedgerProtocol.ReclaimFinished;
import dev.volumed.actors.LedgerProtocol.Refused;
import dev.volumed.actors.LedgerProtocol.ResizeFinished;
import dev.volumed.actors.LedgerProtocol.Unchanged;
import dev.volumed.model.Allocation;
import dev.volumed.model.Capabilities;
import dev.volumed.model.ChangeRules;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The ledger's side of changing a published volume (delete; in place: resize, reclaim,
 * preallocate): which change may begin, the books' decision on what it needs, what the books hold
 * meanwhile (marked in {@link Volumes}: a deletion, or a {@link Volumes.Change}) and what they hold
 * after. Plain state and rules over the ledger's own books; the ledger calls it on its own turn and
 * watches the owners. A volume being changed in place takes no delete, create or other change until
 * its change ends (BUSY, naming the change).
 */
final class InPlace {
  private final String pool;
  private final Volumes<ActorRef<?>> volumes;
  private final Books books;
  private final SpaceReadings space;
  private final Refusals refusals;
  private final Capabilities capabilities;
  private final LevelWatch levels;
  private final PoolEvents events;
  private final Logger log;

  InPlace(String pool, Volumes<ActorRef<?>> volumes, Books books, SpaceReadings space, Refusals refusals,
      Capabilities capabilities, LevelWatch levels, PoolEvents events, Logger log) {
    this.levels = levels;
    this.events = events;
    this.pool = pool;
    this.volumes = volumes;
    this.books = books;
    this.space = space;
    this.refusals = refusals;
    this.capabilities = capabilities;
    this.log = log;
  }

  /** BUSY while the name is being changed in place; null otherwise. */
  Refused busy(String name) {
    Volumes.Change change = volumes.changing(name);
    return change == null ? null : new Refused(ErrorCode.BUSY, "volume " + name + " in pool " + pool + " is "
        + change.doing() + "; try again when that finishes");
  }

  /** What is being done to the volume now, in a refusal's words ("being deleted"), or empty. */
  Optional<String> underway(String name) {
    Volumes.Change change = volumes.changing(name);
    return volumes.isDeleting(name) ? Optional.of("being deleted")
        : Optional.ofNullable(change == null ? null : change.doing());
  }

  /** A volume to be deleted is marked so until its worker says it ended (or stops). */
  DeleteReply beginDelete(String name, Refused conflict, ActorRef<?> owner) {
    Volume volume = volumes.get(name);
    Refused refused = refusal(name, volume, conflict);
    if (refused != null) {
      return refused;
    }
    volumes.beginDelete(name, owner);
    return new Found(volume);
  }

  void deleteFinished(String name, boolean deleted) {
    Volume volume = volumes.endDelete(name, deleted);
    if (volume != null) {
      books.remove(volume);
      space.stale();
      changed(PoolEvent.Action.DELETED, volume);
    }
  }

  /** A volume changed: watchers are told, and the pool's level follows the books. */
  private void changed(PoolEvent.Action action, Volume volume) {
    events.volume(action, pool, volume);
    levels.update(books, space.last());
  }

  /** conflict: the ledger's answer for a name being created, deleted or changed (null when none). */
  ChangeReply begin(BeginChange asked, Refused conflict) {
    if (asked instanceof BeginResize resize) {
      return beginResize(resize.name(), resize.size(), conflict, resize.replyTo());
    } else if (asked instanceof BeginReclaim reclaim) {
      return beginReclaim(reclaim.name(), conflict, reclaim.replyTo());
    }
    BeginPreallocate preallocate = (BeginPreallocate) asked;
    return beginPreallocate(preallocate.name(), preallocate.mode(), conflict, preallocate.replyTo());
  }

  void ended(ChangeEnded ended) {
    if (ended instanceof ResizeFinished resize) {
      resizeFinished(resize.name(), resize.resized());
    } else if (ended instanceof ReclaimFinished reclaim) {
      reclaimFinished(reclaim.name(), reclaim.measured(), reclaim.reclaimedBytes());
    } else if (ended instanceof PreallocateFinished preallocated) {
      preallocated(preallocated.volume());
    } else {
      preallocateFailed(((PreallocateFailed) ended).name());
    }
  }

  private ChangeReply beginResize(String name, long size, Refused conflict, ActorRef<?> owner) {
    Volume volume = volumes.get(name);
    Refused refused = refusal(name, volume, conflict);
    if (refused != null) {
      return refused;
    }
    Refused problem = refused(ChangeRules.resizeProblem(volume, pool, size));
    if (problem != null) {
      return problem;
    }
    if (size == volume.spec().size()) {
      return new Unchanged(volume);
    }
    // At level full every resize is refused, whatever its allocation (checked on a fresh reading).
    if (levels.resizeRefusal(name).isPresent()) {
      space.stale();
      levels.update(books, space.last());
      Optional<Decision.Refuse> full = levels.resizeRefusal(name);
      if (full.isPresent()) {
        return new Refused(full.get().code(), full.get().message());
      }
    }
    // The growth alone is decided: rule 2, and rule 1 too for fallocate/full.
    if (space.decide(Demand.growth(volume.spec(), size)) instanceof Decision.Refuse refuse) {
      return new Refused(refuse.code(), "growing volume " + name + " to " + size + " bytes: " + refuse.message());
    }
    books.reserveGrowth(volume.spec(), size);
    volumes.beginChange(name, new Volumes.Growth(size), owner);
    return new Found(volume);
  }

  private void resizeFinished(String name, Optional<Volume> resized) {
    Volume before = volumes.get(name);
    if (!(volumes.changing(name) instanceof Volumes.Growth growth) || before == null) {
      return; // its owner stopped first, and that gave the growth back
    }
    volumes.endChange(name);
    if (resized.isPresent()) {
      books.landGrowth(before.spec(), growth.size(), before.allocatedBytes(), resized.get().allocatedBytes());
      volumes.put(resized.get());
      space.stale();
      changed(PoolEvent.Action.RESIZED, resized.get());
    } else {
      books.releaseGrowth(before.spec(), growth.size());
      space.stale();
    }
  }

  private ChangeReply beginReclaim(String name, Refused conflict, ActorRef<?> owner) {
    Volume volume = volumes.get(name);
    Refused refused = refusal(name, volume, conflict);
    if (refused != null) {
      return refused;
    }
    Refused problem = refused(ChangeRules.reclaimProblem(volume, pool));
    if (problem != null) {
      return problem;
    }
    volumes.beginChange(name, new Volumes.Reclaiming(), owner);
    return new Found(volume);
  }

  private void reclaimFinished(String name, Optional<Volume> measured, long reclaimedBytes) {
    Volume before = volumes.get(name);
    if (!(volumes.changing(name) instanceof Volumes.Reclaiming) || before == null) {
      return;
    }
    volumes.endChange(name);
    if (measured.isPresent()) {
      books.remeasured(before.allocatedBytes(), measured.get().allocatedBytes());
      volumes.put(measured.get());
      space.stale();
      if (reclaimedBytes > 0) {
        changed(PoolEvent.Action.RECLAIMED, measured.get()); // a reclaim that gave nothing back changed nothing
      }
    }
  }

  /**
   * A volume already at the mode, or full, is left as it is; a mode the file system cannot give is
   * UNSUPPORTED. A sparse one is admitted by rule 1 (its size joins committed, the blocks it lacks
   * must be free); fallocate to full admits nothing, as its blocks are committed already.
   */
  private ChangeReply beginPreallocate(String name, Allocation mode, Refused conflict, ActorRef<?> owner) {
    Volume volume = volumes.get(name);
    Refused refused = refusal(name, volume, conflict);
    if (refused != null) {
      return refused;
    }
    Refused problem = refused(ChangeRules.preallocateProblem(volume, pool));
    if (problem != null) {
      return problem;
    }
    Allocation now = volume.spec().allocation();
    if (now == Allocation.FULL || now == mode) {
      return new Unchanged(volume);
    }
    Refused unsupported = refusals.unsupported(capabilities, mode, name);
    if (unsupported != null) {
      return unsupported;
    }
    Preallocation asked = now == Allocation.SPARSE
        ? new Preallocation(name, volume.spec().size(), volume.allocatedBytes())
        : new Preallocation(name, 0, 0);
    if (asked.size() > 0 && space.decide(asked) instanceof Decision.Refuse refuse) {
      return new Refused(refuse.code(), refuse.message());
    }
    books.reserve(asked);
    volumes.beginChange(name, new Volumes.Preallocating(asked), owner);
    return new Found(volume);
  }

  /** Its blocks are there: the volume is published with its new allocation, and stays committed. */
  private void preallocated(Volume done) {
    Volume before = volumes.get(done.name());
    if (!(volumes.changing(done.name()) instanceof Volumes.Preallocating change) || before == null) {
      return; // its owner stopped first: the books gave it back, and the next load reads the metadata
    }
    volumes.endChange(done.name());
    books.complete(change.books());
    books.remeasured(before.allocatedBytes(), done.allocatedBytes());
    volumes.put(done);
    space.stale();
    changed(PoolEvent.Action.PREALLOCATED, done);
  }

  /** The preallocation failed: the volume is as it was, and so are the books. */
  private void preallocateFailed(String name) {
    if (volumes.changing(name) instanceof Volumes.Preallocating change) {
      volumes.endChange(name);
      books.release(change.books());
      space.stale();
    }
  }

  /** The owner stopped without saying how its changes ended: what each held is given back. */
  void ownerStopped(ActorRef<?> owner) {
    for (Volumes.Abandoned abandoned : volumes.dropChangesOf(owner)) {
      Volume volume = volumes.get(abandoned.name());
      if (abandoned.change() instanceof Volumes.Growth growth && volume != null) {
        books.releaseGrowth(volume.spec(), growth.size());
      } else if (abandoned.change() instanceof Volumes.Preallocating preallocating) {
        books.release(preallocating.books());
      }
      space.stale();
      log.warn("pool {}: the worker of {} ({}) stopped without saying how it ended; what it held in the books"
          + " is given back, and the next start-up reads its image again", pool, abandoned.name(),
          abandoned.change().doing());
    }
  }

  private static Refused refused(Optional<VolumeException> problem) {
    return problem.map(e -> new Refused(e.code(), e.getMessage())).orElse(null);
  }

  private Refused refusal(String name, Volume volume, Refused conflict) {
    if (conflict != null) {
      return conflict;
    }
    return volume == null ? refusals.notFound(name) : null;
  }
}

package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import dev.volumed.accounting.Books;
import dev.volumed.accounting.Decision;
import dev.volumed.accounting.Preallocation;
import dev.volumed.actors.LedgerProtocol.PreallocateReply;
import dev.volumed.actors.LedgerProtocol.Preallocating;
import dev.volumed.actors.LedgerProtocol.Refused;
import dev.volumed.actors.LedgerProtocol.Unchanged;
import dev.volumed.model.Allocation;
import dev.volumed.model.Capabilities;
import dev.volumed.model.Volume;

/**
 * A ledger's part of changing a published volume in place (preallocate): what is admitted, what
 * the books hold meanwhile, and what they hold after. Plain state and rules over the ledger's own
 * books, volumes and changes; the ledger calls it on its own turn.
 */
final class InPlace {
  static final String PREALLOCATED = "preallocated";

  private final Books books;
  private final Volumes<ActorRef<?>> volumes;
  private final Changes<ActorRef<?>> changes;
  private final SpaceReadings space;
  private final Refusals refusals;
  private final Capabilities capabilities;

  InPlace(Books books, Volumes<ActorRef<?>> volumes, Changes<ActorRef<?>> changes, SpaceReadings space,
      Refusals refusals, Capabilities capabilities) {
    this.capabilities = capabilities;
    this.books = books;
    this.volumes = volumes;
    this.changes = changes;
    this.space = space;
    this.refusals = refusals;
  }

  /**
   * A volume already at the mode, or full, is left as it is; a mode the file system cannot give is
   * UNSUPPORTED. A sparse one is admitted by rule 1
   * (its size joins committed, the blocks it lacks must be free); fallocate to full admits nothing,
   * as its blocks are committed already. {@code conflict}: the name's refusal when something else
   * is being done to it, else null.
   */
  PreallocateReply beginPreallocate(String name, Allocation mode, ActorRef<?> owner, Refused conflict) {
    Volume volume = volumes.get(name);
    if (conflict != null || volume == null) {
      return conflict != null ? conflict : refusals.notFound(name);
    }
    if (volume.state() == Volume.State.DAMAGED) {
      return refusals.damagedForChange(volume, "preallocate");
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
    changes.begin(name, PREALLOCATED, owner, asked);
    return new Preallocating(volume);
  }

  /** Its blocks are there: the volume is published with its new allocation, and stays committed. */
  void preallocated(Volume done) {
    Changes.Change<ActorRef<?>> change = changes.end(done.name());
    Volume before = volumes.get(done.name());
    if (change == null || before == null) {
      return; // its owner stopped first: the books gave it back, and the next load reads the metadata
    }
    books.complete(change.books());
    books.remeasured(before.allocatedBytes(), done.allocatedBytes());
    volumes.put(done);
    space.stale();
  }

  /** It failed: the volume is as it was, and so are the books. */
  void failed(String name) {
    Changes.Change<ActorRef<?>> change = changes.end(name);
    if (change != null) {
      books.release(change.books());
      space.stale();
    }
  }

  /** The owner stopped: what its changes held goes back. */
  void ownerStopped(ActorRef<?> owner) {
    changes.endAllOf(owner).forEach(change -> books.release(change.books()));
  }
}

package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import dev.volumed.accounting.PoolLevel;
import dev.volumed.model.Allocation;
import dev.volumed.model.Capabilities;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Holder;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.util.List;
import java.util.Optional;

/**
 * The messages a {@link Ledger} takes and the replies it gives. {@link Ledger} implements this
 * interface only to inherit these types, so senders write {@code Ledger.Reserve},
 * {@code Ledger.Admitted} and so on, and the owner stays visible; nothing else implements it.
 */
public interface LedgerProtocol {

  interface Command {}

  /** A command that is answered; a ledger that cannot use its books answers it at once with {@link Refused}. */
  interface Request extends Command {
    ActorRef<? super Refused> replyTo();
  }

  /** Reserve space for one volume; the sender is watched and its reservations released if it stops. */
  record Reserve(VolumeSpec spec, ActorRef<ReserveReply> replyTo) implements Request {}

  /**
   * Reserve a batch. Atomic: all of it or none of it (an identical volume that already exists
   * counts as {@link Existed}); otherwise each volume on its own, in list order.
   */
  record ReserveBatch(List<VolumeSpec> specs, boolean atomic, ActorRef<BatchReply> replyTo) implements Request {
    public ReserveBatch {
      specs = List.copyOf(specs);
    }
  }

  /** The reserved volume is published: it joins the books. */
  record Complete(long reservationId, Volume volume) implements Command {}

  /** The reserved volume failed: its reservation is given back. */
  record Release(long reservationId) implements Command {}

  /** Mark a volume as being deleted; answered with the volume or a refusal. The sender is watched. */
  record BeginDelete(String name, ActorRef<DeleteReply> replyTo) implements Request {}

  /** The deletion that {@link BeginDelete} approved has ended. */
  record DeleteFinished(String name, boolean deleted) implements Command {}

  /** A change in place of a published volume (preallocate, resize, reclaim); the sender is watched. */
  sealed interface BeginChange extends Request {
    String name();

    ActorRef<ChangeReply> replyTo();
  }

  /** How a change in place ended, from its worker. */
  sealed interface ChangeEnded extends Command {}

  /**
   * Give a published volume its blocks ({@code mode} fallocate or full): answered {@link
   * Found} (admitted: its size is committed and it takes no other change until {@link
   * PreallocateFinished} or {@link PreallocateFailed}), {@link Unchanged} (already that, or full),
   * or {@link Refused}. The sender is watched.
   */
  record BeginPreallocate(String name, Allocation mode, ActorRef<ChangeReply> replyTo) implements BeginChange {}

  /** The preallocation ended with its blocks on disk and its metadata saying so. */
  record PreallocateFinished(Volume volume) implements ChangeEnded {}

  /** The preallocation failed; the volume is as it was. */
  record PreallocateFailed(String name) implements ChangeEnded {}

  /**
   * Grow a published volume to {@code size}: the growth is admitted by the books and reserved, and
   * the volume is marked as being changed (no delete or other change meanwhile) until
   * {@link ResizeFinished}; the sender is watched. Answered {@link Found} (go on), {@link Unchanged}
   * (the size it has already) or {@link Refused}.
   */
  record BeginResize(String name, long size, ActorRef<ChangeReply> replyTo) implements BeginChange {}

  /** The resize has ended: {@code resized} is the volume as it is now, or empty when it kept its old size. */
  record ResizeFinished(String name, long size, Optional<Volume> resized) implements ChangeEnded {}

  /** Give back a sparse volume's unused blocks: marked as being changed until {@link ReclaimFinished}. */
  record BeginReclaim(String name, ActorRef<ChangeReply> replyTo) implements BeginChange {}

  /** The reclaim has ended: the volume measured now, or empty when it failed (its blocks are measured at the next refresh). */
  record ReclaimFinished(String name, Optional<Volume> measured, long reclaimedBytes) implements ChangeEnded {}

  /** One volume, published or in flight ("creating"). */
  record Get(String name, ActorRef<GetReply> replyTo) implements Request {}

  /** Every volume of the pool, published and in flight, by name. */
  record ListVolumes(ActorRef<ListReply> replyTo) implements Request {}

  record GetStats(ActorRef<StatsReply> replyTo) implements Request {}

  // replies

  sealed interface ReserveReply {}

  sealed interface DeleteReply {}

  sealed interface GetReply {}

  sealed interface BatchReply {}

  sealed interface ListReply {}

  sealed interface StatsReply {}

  /** The answer to a change in place: {@link Found} (go on), {@link Unchanged} or {@link Refused}. */
  sealed interface ChangeReply {}

  /** Nothing to do: the volume already is what was asked. */
  record Unchanged(Volume volume) implements ChangeReply {}

  /** One outcome per spec of a {@link ReserveBatch}, in its order: Admitted, Existed or Refused. */
  record BatchReserved(List<ReserveReply> outcomes) implements BatchReply {
    public BatchReserved {
      outcomes = List.copyOf(outcomes);
    }
  }

  record Admitted(long reservationId) implements ReserveReply {}

  record Existed(Volume volume) implements ReserveReply {}

  /**
   * A volume, and what holds its image open as its pool manager found it for get (the ledger,
   * which does no I/O, answers with none; a delete looks for holders itself).
   *
   * @param underway for get: what is being done to the volume now ("being deleted", "being
   *     resized", ...), so that a client about to use its image (the CSI node) can stand back
   */
  record Found(Volume volume, List<Holder> holders, Optional<String> underway)
      implements GetReply, DeleteReply, ChangeReply {
    public Found {
      holders = List.copyOf(holders);
    }

    public Found(Volume volume, List<Holder> holders) {
      this(volume, holders, Optional.empty());
    }

    public Found(Volume volume) {
      this(volume, List.of());
    }
  }

  record Refused(ErrorCode code, String message)
      implements ReserveReply, DeleteReply, GetReply, BatchReply, ListReply, StatsReply, ChangeReply {}

  record VolumeList(String pool, List<Volume> volumes) implements ListReply {
    public VolumeList {
      volumes = List.copyOf(volumes);
    }
  }

  record PoolStats(
      String name,
      String path,
      long capacityBytes,
      double reservedPercent,
      double maxOvercommitRatio,
      long committedBytes,
      long provisionedBytes,
      long allocatedBytes,
      long filesystemFreeBytes,
      long availableForFallocateBytes,
      long availableForSparseBytes,
      int volumes,
      int inFlight,
      /** allocatedPercent, filesystemUsedPercent and the level they give, as of the last figures. */
      PoolLevel fullness,
      Capabilities capabilities) implements StatsReply {}
}

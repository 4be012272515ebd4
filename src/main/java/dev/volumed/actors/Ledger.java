package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.volumed.accounting.Books;
import dev.volumed.accounting.Decision;
import dev.volumed.accounting.Demand;
import dev.volumed.accounting.Figures;
import dev.volumed.accounting.PoolLimits;
import dev.volumed.accounting.Space;
import dev.volumed.disk.ImageCheck;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import dev.volumed.settings.PoolSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The space-accounting actor of one pool: it admits or refuses every reservation, one message at a
 * time, in arrival order, by asking its {@link Books} (the rules and figures, pure arithmetic) with
 * a file-system reading it chooses when to take. It keeps the reservations by id, name and owner,
 * watches their owners, and the volumes by name. The probe is read only here, on the ledger's own
 * turn; the slow work (loading the books, measuring blocks) runs on the blocking dispatcher and
 * comes back as messages.
 */
public final class Ledger extends AbstractBehavior<Ledger.Command> {

  public interface Command {}

  /** A command that is answered; a ledger that cannot use its books answers it at once with {@link Refused}. */
  public interface Request extends Command {
    ActorRef<? super Refused> replyTo();
  }

  /** Reserve space for one volume; the sender is watched and its reservations released if it stops. */
  public record Reserve(VolumeSpec spec, ActorRef<ReserveReply> replyTo) implements Request {}

  /**
   * Reserve a batch. Atomic: all of it or none of it (an identical volume that already exists
   * counts as {@link Existed}); otherwise each volume on its own, in list order.
   */
  public record ReserveBatch(List<VolumeSpec> specs, boolean atomic, ActorRef<BatchReply> replyTo)
      implements Request {
    public ReserveBatch {
      specs = List.copyOf(specs);
    }
  }

  /** The reserved volume is published: it joins the books. */
  public record Complete(long reservationId, Volume volume) implements Command {}

  /** The reserved volume failed: its reservation is given back. */
  public record Release(long reservationId) implements Command {}

  /** Mark a volume as being deleted; answered with the volume or a refusal. */
  public record BeginDelete(String name, ActorRef<DeleteReply> replyTo) implements Request {}

  /** The deletion that {@link BeginDelete} approved has ended. */
  public record DeleteFinished(String name, boolean deleted) implements Command {}

  public record Get(String name, ActorRef<GetReply> replyTo) implements Request {}

  public record ListVolumes(ActorRef<ListReply> replyTo) implements Request {}

  public record GetStats(ActorRef<StatsReply> replyTo) implements Request {}

  // replies

  public sealed interface ReserveReply {}

  public sealed interface DeleteReply {}

  public sealed interface GetReply {}

  public sealed interface BatchReply {}

  public sealed interface ListReply {}

  public sealed interface StatsReply {}

  /** One outcome per spec of a {@link ReserveBatch}, in its order: Admitted, Existed or Refused. */
  public record BatchReserved(List<ReserveReply> outcomes) implements BatchReply {
    public BatchReserved {
      outcomes = List.copyOf(outcomes);
    }
  }

  public record Admitted(long reservationId) implements ReserveReply {}

  public record Existed(Volume volume) implements ReserveReply {}

  public record Found(Volume volume) implements GetReply, DeleteReply {}

  public record Refused(ErrorCode code, String message)
      implements ReserveReply, DeleteReply, GetReply, BatchReply, ListReply, StatsReply {}

  public record VolumeList(String pool, List<Volume> volumes) implements ListReply {
    public VolumeList {
      volumes = List.copyOf(volumes);
    }
  }

  public record PoolStats(
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
      int inFlight) implements StatsReply {}

  // private messages

  /** The books as {@link PoolStore#load} read them, or why it could not. */
  record Loaded(List<Volume> volumes, Throwable failure) implements Command {}

  private record OwnerStopped(ActorRef<?> owner) implements Command {}

  private enum Refresh implements Command { INSTANCE }

  /** A refresh: each asked volume's image checked against its metadata. */
  private record Measured(List<Volume> asked, Map<String, ImageCheck.Result> checks, Throwable failure)
      implements Command {}

  private record Reservation(long id, VolumeSpec spec, Instant startedAt, ActorRef<?> owner) {}

  public static final String BLOCKING_DISPATCHER = "volumed.blocking-dispatcher";

  public static Behavior<Command> create(
      PoolSettings pool, PoolStore store, SpaceProbe probe, Duration refreshInterval) {
    return LedgerLifecycle.create(pool, store, probe, refreshInterval);
  }

  /** The books are loaded: the ledger serves from them, and refreshes them every refreshInterval. */
  static Ledger ready(ActorContext<Command> context, TimerScheduler<Command> timers, PoolSettings pool, PoolStore store,
      SpaceProbe probe, Duration refreshInterval, Executor blocking, List<Volume> loaded) {
    Ledger ledger = new Ledger(context, pool, store, probe, blocking, loaded);
    context.getLog().info("pool {}: {} volumes at {}, {} committed, {} provisioned", pool.name(),
        loaded.size(), pool.path(), ledger.books.committed(), ledger.books.provisioned());
    timers.startTimerWithFixedDelay(Refresh.INSTANCE, Refresh.INSTANCE, refreshInterval);
    return ledger;
  }

  private final PoolSettings pool;
  private final PoolStore store;
  private final SpaceProbe probe;
  private final Executor blocking;

  private final Map<String, Volume> volumes = new HashMap<>();
  private final Map<String, Reservation> reservationsByName = new HashMap<>();
  private final Map<Long, Reservation> reservations = new HashMap<>();
  private final Map<ActorRef<?>, Set<Long>> reservationsByOwner = new HashMap<>();
  /** Owners of reservations or deletions, watched until they stop (a watch is not cheap to redo). */
  private final Set<ActorRef<?>> watched = new HashSet<>();
  private final Map<String, ActorRef<?>> deleting = new HashMap<>();

  private final Books books;

  private long nextReservationId = 1;
  /** The last reading of the file system; null once blocks were taken, so the next use reads it again. */
  private Space space;
  private boolean measuring;

  private Ledger(
      ActorContext<Command> context,
      PoolSettings pool,
      PoolStore store,
      SpaceProbe probe,
      Executor blocking,
      List<Volume> loaded) {
    super(context);
    this.pool = pool;
    this.store = store;
    this.probe = probe;
    this.blocking = blocking;
    this.books = new Books(new PoolLimits(pool.name(), pool.capacity(), pool.reservedPercent(),
        pool.maxOvercommitRatio()));
    for (Volume volume : loaded) {
      volumes.put(volume.name(), volume);
      books.add(volume);
    }
    this.space = probe.read();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Reserve.class, this::onReserve)
        .onMessage(ReserveBatch.class, this::onReserveBatch)
        .onMessage(Complete.class, this::onComplete)
        .onMessage(Release.class, this::onRelease)
        .onMessage(BeginDelete.class, this::onBeginDelete)
        .onMessage(DeleteFinished.class, this::onDeleteFinished)
        .onMessage(Get.class, this::onGet)
        .onMessage(ListVolumes.class, this::onList)
        .onMessage(GetStats.class, this::onStats)
        .onMessage(OwnerStopped.class, this::onOwnerStopped)
        .onMessage(Refresh.class, this::onRefresh)
        .onMessage(Measured.class, this::onMeasured)
        .build();
  }

  private Behavior<Command> onReserve(Reserve request) {
    VolumeSpec spec = request.spec();
    ReserveReply outcome = precheck(spec);
    if (outcome == null) {
      Refused refused = admit(Demand.of(spec));
      outcome = refused != null ? refused : new Admitted(reserve(spec, request.replyTo()));
    }
    request.replyTo().tell(outcome);
    return this;
  }

  private Behavior<Command> onReserveBatch(ReserveBatch request) {
    List<ReserveReply> outcomes = new ArrayList<>();
    List<VolumeSpec> fresh = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (VolumeSpec spec : request.specs()) {
      ReserveReply outcome;
      if (!seen.add(spec.name())) {
        outcome = new Refused(ErrorCode.BAD_REQUEST,
            "the batch names volume " + spec.name() + " twice; each name may appear once");
      } else {
        outcome = precheck(spec);
      }
      if (outcome instanceof Refused refused && request.atomic()) {
        request.replyTo().tell(refused);
        return this;
      }
      if (outcome == null) {
        fresh.add(spec);
        if (!request.atomic()) {
          Refused refused = admit(Demand.of(spec));
          outcome = refused != null ? refused : new Admitted(reserve(spec, request.replyTo()));
        }
      }
      outcomes.add(outcome);
    }
    if (request.atomic()) {
      // An atomic batch is decided as one request: the sums of its new volumes.
      Refused refused = fresh.isEmpty() ? null : admit(Demand.of(fresh));
      if (refused != null) {
        request.replyTo().tell(refused);
        return this;
      }
      for (int i = 0; i < outcomes.size(); i++) {
        if (outcomes.get(i) == null) {
          outcomes.set(i, new Admitted(reserve(request.specs().get(i), request.replyTo())));
        }
      }
    }
    request.replyTo().tell(new BatchReserved(outcomes));
    return this;
  }

  /** What a name's current state says of a new reservation: null (go on), Existed, or Refused. */
  private ReserveReply precheck(VolumeSpec spec) {
    Refused conflict = conflict(spec.name());
    if (conflict != null) {
      return conflict;
    }
    Volume existing = volumes.get(spec.name());
    if (existing == null) {
      return null;
    }
    if (existing.state() == Volume.State.DAMAGED) {
      // Never "existed": its image is not what was asked for, whatever its metadata says.
      return new Refused(ErrorCode.ALREADY_EXISTS, "volume " + spec.name() + " exists in pool " + pool.name()
          + " but is damaged (" + existing.damage().orElseThrow() + "); restore its image (it is checked again at"
          + " every refresh) or delete it and create it again");
    }
    return existing.spec().sameShapeAs(spec) ? new Existed(existing) : alreadyExists(existing);
  }

  private Behavior<Command> onComplete(Complete complete) {
    Reservation reservation = takeReservation(complete.reservationId());
    if (reservation != null) {
      books.complete(reservation.spec(), complete.volume().allocatedBytes());
    } else if (!volumes.containsKey(complete.volume().name())) {
      // Reserved before this ledger restarted: the image is on disk, so it joins the books.
      getContext().getLog().warn("pool {}: {} completed under a reservation from before a restart",
          pool.name(), complete.volume().name());
      books.add(complete.volume());
    } else {
      return this;
    }
    volumes.put(complete.volume().name(), complete.volume());
    // Blocks were taken: the next sparse decision reads the file system again. (A release or a
    // delete only gives blocks back, so the last reading stays on the safe side; a refusal re-reads.)
    space = null;
    return this;
  }

  private Behavior<Command> onRelease(Release release) {
    Reservation reservation = takeReservation(release.reservationId());
    if (reservation != null) {
      books.release(reservation.spec());
    }
    return this;
  }

  private Behavior<Command> onBeginDelete(BeginDelete request) {
    Refused conflict = conflict(request.name());
    if (conflict != null) {
      request.replyTo().tell(conflict);
      return this;
    }
    Volume volume = volumes.get(request.name());
    if (volume == null) {
      request.replyTo().tell(notFound(request.name()));
      return this;
    }
    deleting.put(request.name(), request.replyTo());
    watch(request.replyTo());
    request.replyTo().tell(new Found(volume));
    return this;
  }

  private Behavior<Command> onDeleteFinished(DeleteFinished finished) {
    deleting.remove(finished.name());
    if (finished.deleted()) {
      Volume volume = volumes.remove(finished.name());
      if (volume != null) {
        books.remove(volume);
        space = null;
      }
    }
    return this;
  }

  private Behavior<Command> onGet(Get request) {
    Volume volume = volumes.get(request.name());
    if (volume != null) {
      request.replyTo().tell(new Found(volume));
    } else if (reservationsByName.containsKey(request.name())) {
      request.replyTo().tell(new Found(creating(reservationsByName.get(request.name()))));
    } else {
      request.replyTo().tell(notFound(request.name()));
    }
    return this;
  }

  private Behavior<Command> onList(ListVolumes request) {
    List<Volume> all = new ArrayList<>(volumes.values());
    for (Reservation reservation : reservations.values()) {
      all.add(creating(reservation));
    }
    all.sort(Comparator.comparing(Volume::name));
    request.replyTo().tell(new VolumeList(pool.name(), all));
    return this;
  }

  private Behavior<Command> onStats(GetStats request) {
    Space now = freshSpace();
    Figures figures = books.figures(now);
    request.replyTo().tell(new PoolStats(pool.name(), pool.path().toString(), figures.capacity(),
        pool.reservedPercent(), pool.maxOvercommitRatio(), books.committed(), books.provisioned(),
        books.allocated(), now.free(), figures.availableForFallocate(), figures.availableForSparse(),
        volumes.size(), reservations.size()));
    return this;
  }

  private Behavior<Command> onOwnerStopped(OwnerStopped stopped) {
    watched.remove(stopped.owner());
    Set<Long> ids = reservationsByOwner.remove(stopped.owner());
    if (ids != null && !ids.isEmpty()) {
      long bytes = 0;
      for (long id : List.copyOf(ids)) {
        Reservation reservation = reservations.remove(id);
        if (reservation != null) {
          bytes += reservation.spec().size();
          reservationsByName.remove(reservation.spec().name());
          books.release(reservation.spec());
        }
      }
      getContext().getLog().warn("pool {}: a worker stopped without finishing {} volumes; released {} bytes",
          pool.name(), ids.size(), bytes);
    }
    deleting.values().removeIf(owner -> owner.equals(stopped.owner()));
    return this;
  }

  private Behavior<Command> onRefresh(Refresh refresh) {
    if (measuring) {
      return this;
    }
    measuring = true;
    List<Volume> asked = List.copyOf(volumes.values());
    List<VolumeSpec> specs = asked.stream().map(Volume::spec).toList();
    // Only the images are measured there: the probe is read on this actor's turn alone.
    getContext().pipeToSelf(
        CompletableFuture.supplyAsync(() -> new Measured(asked, store.measure(specs), null), blocking),
        (measured, failure) -> failure != null ? new Measured(List.of(), Map.of(), failure) : measured);
    return this;
  }

  private Behavior<Command> onMeasured(Measured measured) {
    measuring = false;
    if (measured.failure() != null) {
      getContext().getLog().warn("pool {}: measuring failed: {}", pool.name(), measured.failure().toString());
      return this;
    }
    // Blocks came and went meanwhile: the next decision or stats reads the file system again.
    space = null;
    for (Volume asked : measured.asked()) {
      Volume volume = volumes.get(asked.name());
      ImageCheck.Result check = measured.checks().get(asked.name());
      // Only the very volume that was measured: one deleted, being deleted or made again meanwhile is not.
      if (check == null || volume == null || deleting.containsKey(asked.name())
          || !volume.spec().equals(asked.spec()) || !volume.createdAt().equals(asked.createdAt())) {
        continue;
      }
      Volume now = volume.checked(check.allocatedBytes(), check.damage());
      if (now.state() != volume.state()) {
        logDamage(now);
      }
      books.remeasured(volume.allocatedBytes(), now.allocatedBytes());
      volumes.put(now.name(), now);
    }
    return this;
  }

  /**
   * Logged when a volume turns damaged or ready again, not at every refresh (the reason, which may
   * change as blocks come and go, is in get and list). A damaged volume keeps counting its recorded size
   * (provisioned, and committed for fallocate/full): its metadata still promises those bytes, and
   * counting less would let other volumes take them before its image is restored or it is deleted.
   */
  private void logDamage(Volume volume) {
    if (volume.damage().isPresent()) {
      getContext().getLog().warn("pool {}: {} is damaged: {}; it is shown \"damaged\" and keeps its recorded size"
          + " in the books until its image is restored or it is deleted", pool.name(), volume.name(),
          volume.damage().get());
    } else {
      getContext().getLog().info("pool {}: {} matches its metadata again; it is ready", pool.name(), volume.name());
    }
  }

  // admission

  /**
   * The books decide; when to read the file system is the ledger's: a request with fallocate/full
   * volumes on a fresh reading, always (blocks are promised against it); a sparse one on the last
   * reading, and on a fresh one before it is refused for lack of space (space may be free now).
   * Null when admitted.
   */
  private Refused admit(Demand demand) {
    if (demand.reservesBlocks()) {
      return refusal(books.decide(demand, space = probe.read()));
    }
    Decision decision = books.decide(demand, freshSpace());
    if (decision instanceof Decision.Refuse refuse && refuse.code() == ErrorCode.INSUFFICIENT_SPACE) {
      decision = books.decide(demand, space = probe.read());
    }
    return refusal(decision);
  }

  private static Refused refusal(Decision decision) {
    return decision instanceof Decision.Refuse refuse ? new Refused(refuse.code(), refuse.message()) : null;
  }

  private long reserve(VolumeSpec spec, ActorRef<?> owner) {
    long id = nextReservationId++;
    Reservation reservation = new Reservation(id, spec, Instant.now(), owner);
    reservations.put(id, reservation);
    reservationsByName.put(spec.name(), reservation);
    reservationsByOwner.computeIfAbsent(owner, o -> new HashSet<>()).add(id);
    watch(owner);
    books.reserve(spec);
    return id;
  }

  private Reservation takeReservation(long id) {
    Reservation reservation = reservations.remove(id);
    if (reservation == null) {
      return null;
    }
    reservationsByName.remove(reservation.spec().name());
    Set<Long> ids = reservationsByOwner.get(reservation.owner());
    if (ids != null && ids.remove(id) && ids.isEmpty()) {
      reservationsByOwner.remove(reservation.owner());
    }
    return reservation;
  }

  /** Watches an owner once; when it stops, whatever it still holds is released. */
  private void watch(ActorRef<?> owner) {
    if (watched.add(owner)) {
      getContext().watchWith(owner, new OwnerStopped(owner));
    }
  }

  private Space freshSpace() {
    if (space == null) {
      space = probe.read();
    }
    return space;
  }

  private Refused conflict(String name) {
    if (reservationsByName.containsKey(name)) {
      return new Refused(ErrorCode.BUSY, "volume " + name + " in pool " + pool.name()
          + " is being created; try again when that finishes");
    }
    if (deleting.containsKey(name)) {
      return new Refused(ErrorCode.BUSY, "volume " + name + " in pool " + pool.name()
          + " is being deleted; try again when that finishes");
    }
    return null;
  }

  private Refused alreadyExists(Volume existing) {
    VolumeSpec spec = existing.spec();
    return new Refused(ErrorCode.ALREADY_EXISTS, String.format(
        "volume %s already exists in pool %s with size %d, fs %s, label %s, allocation %s;"
            + " delete it first or ask for exactly that",
        spec.name(), pool.name(), spec.size(), spec.fs().wireName(), spec.label().orElse("(none)"),
        spec.allocation().wireName()));
  }

  private Refused notFound(String name) {
    return new Refused(ErrorCode.NOT_FOUND, "no volume " + name + " in pool " + pool.name());
  }

  private static Volume creating(Reservation reservation) {
    return new Volume(reservation.spec(), reservation.startedAt(), 0, Volume.State.CREATING, false);
  }
}

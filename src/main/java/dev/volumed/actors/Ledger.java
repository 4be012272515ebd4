package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;
import dev.volumed.disk.ImageCheck;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.FormatOverhead;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.protocol.ErrorCode;
import dev.volumed.settings.PoolSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The space-accounting actor of one pool: it keeps the books and admits or refuses every
 * reservation, one message at a time, in arrival order. Decisions are arithmetic on its own state
 * plus a statvfs; the slow work (loading the books, measuring blocks) runs on the blocking
 * dispatcher and comes back as messages.
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

  /** A refresh: the file system, and each asked volume's image checked against it. */
  private record Measured(SpaceProbe.Space space, List<Volume> asked, Map<String, ImageCheck.Result> checks,
      Throwable failure) implements Command {}

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
        loaded.size(), pool.path(), ledger.committed, ledger.provisioned);
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

  private long nextReservationId = 1;
  private long committed;
  private long provisioned;
  private long allocated;
  /** Sizes of admitted fallocate/full reservations whose blocks may not be taken yet. */
  private long inFlightBlocks;
  /** Estimated formatting writes of admitted sparse reservations still in flight. */
  private long inFlightOverhead;
  private SpaceProbe.Space space;
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
    for (Volume volume : loaded) {
      volumes.put(volume.name(), volume);
      addToBooks(volume.spec());
      allocated += volume.allocatedBytes();
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
      Refused refused = admit(List.of(spec));
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
          Refused refused = admit(List.of(spec));
          outcome = refused != null ? refused : new Admitted(reserve(spec, request.replyTo()));
        }
      }
      outcomes.add(outcome);
    }
    if (request.atomic()) {
      Refused refused = fresh.isEmpty() ? null : admit(fresh);
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
      leaveFlight(reservation.spec());
    } else if (!volumes.containsKey(complete.volume().name())) {
      // Reserved before this ledger restarted: the image is on disk, so it joins the books.
      getContext().getLog().warn("pool {}: {} completed under a reservation from before a restart",
          pool.name(), complete.volume().name());
      addToBooks(complete.volume().spec());
    } else {
      return this;
    }
    volumes.put(complete.volume().name(), complete.volume());
    allocated += complete.volume().allocatedBytes();
    // Blocks were taken: the next sparse decision reads the file system again. (A release or a
    // delete only gives blocks back, so the last reading stays on the safe side; a refusal re-reads.)
    space = null;
    return this;
  }

  private Behavior<Command> onRelease(Release release) {
    Reservation reservation = takeReservation(release.reservationId());
    if (reservation != null) {
      leaveFlight(reservation.spec());
      removeFromBooks(reservation.spec());
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
        removeFromBooks(volume.spec());
        allocated -= volume.allocatedBytes();
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
    SpaceProbe.Space now = freshSpace();
    long capacity = capacity(now);
    long reserved = reserved(capacity);
    long usable = capacity - reserved;
    long limit = overcommitLimit(usable);
    long fsFree = now.free() - inFlightBlocks;
    long forFallocate = Math.max(0,
        Math.min(usable - committed, Math.min(fsFree - reserved, limit - provisioned)));
    long forSparse = Math.max(0, limit - provisioned);
    request.replyTo().tell(new PoolStats(pool.name(), pool.path().toString(), capacity,
        pool.reservedPercent(), pool.maxOvercommitRatio(), committed, provisioned, allocated,
        now.free(), forFallocate, forSparse, volumes.size(), reservations.size()));
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
          leaveFlight(reservation.spec());
          removeFromBooks(reservation.spec());
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
    getContext().pipeToSelf(
        CompletableFuture.supplyAsync(() -> new Measured(probe.read(), asked, store.measure(specs), null), blocking),
        (measured, failure) -> failure != null ? new Measured(null, List.of(), Map.of(), failure) : measured);
    return this;
  }

  private Behavior<Command> onMeasured(Measured measured) {
    measuring = false;
    if (measured.failure() != null) {
      getContext().getLog().warn("pool {}: measuring failed: {}", pool.name(), measured.failure().toString());
      return this;
    }
    space = measured.space();
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
      allocated += now.allocatedBytes() - volume.allocatedBytes();
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

  /** Applies DESIGN.md's rules to the specs as one request; null when admitted. */
  private Refused admit(Collection<VolumeSpec> specs) {
    long blocks = 0;
    long total = 0;
    long overhead = 0;
    for (VolumeSpec spec : specs) {
      total = plus(total, spec.size());
      if (spec.allocation().reservesBlocks()) {
        blocks = plus(blocks, spec.size());
      } else {
        overhead = plus(overhead, FormatOverhead.estimate(spec));
      }
    }
    if (blocks > 0) {
      // fallocate/full: decided on a fresh reading, always.
      return decide(specs, blocks, total, overhead, space = probe.read());
    }
    Refused refused = decide(specs, blocks, total, overhead, freshSpace());
    if (refused != null && refused.code() == ErrorCode.INSUFFICIENT_SPACE) {
      // Sparse admissions reuse the last reading; before refusing, look again: space may be free now.
      refused = decide(specs, blocks, total, overhead, space = probe.read());
    }
    return refused;
  }

  private Refused decide(Collection<VolumeSpec> specs, long blocks, long total, long overhead, SpaceProbe.Space now) {
    long capacity = capacity(now);
    long reserved = reserved(capacity);
    long usable = capacity - reserved;
    long fsFree = now.free() - inFlightBlocks;
    if (blocks > 0) {
      if (blocks > usable - committed) {
        return new Refused(ErrorCode.INSUFFICIENT_SPACE, String.format(
            "%s needs %d bytes allocated on disk but pool %s has only %d of %d usable bytes not yet"
                + " committed; use allocation \"sparse\", a smaller size, or free space",
            describe(specs), blocks, pool.name(), Math.max(0, usable - committed), usable));
      }
      if (blocks > fsFree - reserved) {
        return new Refused(ErrorCode.INSUFFICIENT_SPACE, String.format(
            "%s needs %d bytes allocated on disk but the file system of pool %s has only %d free"
                + " beyond the %d reserved; use allocation \"sparse\", a smaller size, or free space",
            describe(specs), blocks, pool.name(), Math.max(0, fsFree - reserved), reserved));
      }
    }
    long limit = overcommitLimit(usable);
    if (total > limit - provisioned) {
      return new Refused(ErrorCode.OVERCOMMIT_LIMIT, String.format(
          "%s of %d bytes would provision pool %s beyond its limit of %d bytes (%s x %.2f);"
              + " %d bytes can still be provisioned",
          describe(specs), total, pool.name(), limit, usable, pool.maxOvercommitRatio(),
          Math.max(0, limit - provisioned)));
    }
    if (overhead > 0 && overhead > fsFree - reserved - inFlightOverhead) {
      return new Refused(ErrorCode.INSUFFICIENT_SPACE, String.format(
          "formatting %s writes up to %d bytes but the file system of pool %s has only %d free"
              + " beyond the %d reserved; free space on it first",
          describe(specs), overhead, pool.name(), Math.max(0, fsFree - reserved - inFlightOverhead), reserved));
    }
    return null;
  }

  /** a + b for sizes (never negative), capped at Long.MAX_VALUE instead of wrapping around. */
  private static long plus(long a, long b) {
    return b > Long.MAX_VALUE - a ? Long.MAX_VALUE : a + b;
  }

  /** Built only for a refusal: admissions are the hot path. */
  private static String describe(Collection<VolumeSpec> specs) {
    return specs.size() == 1
        ? "volume " + specs.iterator().next().name()
        : "batch of " + specs.size() + " volumes";
  }

  private long reserve(VolumeSpec spec, ActorRef<?> owner) {
    long id = nextReservationId++;
    Reservation reservation = new Reservation(id, spec, Instant.now(), owner);
    reservations.put(id, reservation);
    reservationsByName.put(spec.name(), reservation);
    reservationsByOwner.computeIfAbsent(owner, o -> new HashSet<>()).add(id);
    watch(owner);
    addToBooks(spec);
    if (spec.allocation().reservesBlocks()) {
      inFlightBlocks += spec.size();
    } else {
      inFlightOverhead += FormatOverhead.estimate(spec);
    }
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

  private void leaveFlight(VolumeSpec spec) {
    if (spec.allocation().reservesBlocks()) {
      inFlightBlocks -= spec.size();
    } else {
      inFlightOverhead -= FormatOverhead.estimate(spec);
    }
  }

  private void addToBooks(VolumeSpec spec) {
    provisioned += spec.size();
    if (spec.allocation().reservesBlocks()) {
      committed += spec.size();
    }
  }

  private void removeFromBooks(VolumeSpec spec) {
    provisioned -= spec.size();
    if (spec.allocation().reservesBlocks()) {
      committed -= spec.size();
    }
  }

  private SpaceProbe.Space freshSpace() {
    if (space == null) {
      space = probe.read();
    }
    return space;
  }

  private long capacity(SpaceProbe.Space now) {
    long configured = pool.capacity().orElse(now.total());
    return Math.min(configured, now.total());
  }

  private long reserved(long capacity) {
    return (long) Math.ceil(capacity * pool.reservedPercent() / 100.0);
  }

  private long overcommitLimit(long usable) {
    double limit = usable * pool.maxOvercommitRatio();
    return limit >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) limit;
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

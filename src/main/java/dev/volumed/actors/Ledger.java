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
import dev.volumed.disk.PoolStore;
import dev.volumed.model.Capabilities;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The space-accounting actor of one pool: it admits or refuses every reservation, one message at a
 * time in arrival order, by asking its {@link Books} (pure rules and figures) on a reading of the
 * file system that {@link SpaceReadings} chooses, on this actor's turn only. It holds the {@link
 * Volumes} (published, being deleted or changed) and the {@link Reservations} in flight, and gives
 * back what an owner held when it stops. It decides creates itself and routes the rest: deletes and
 * changes in place to {@link InPlace}, refreshes (each image measured again, damaged or ready) to
 * {@link Refreshes}. Messages: {@link LedgerProtocol} (senders write {@code Ledger.Reserve}); phases
 * around the books (loading with a stash, failed): {@link LedgerLifecycle}; texts: {@link Refusals}.
 * Slow work (loading the books, measuring images) runs on the blocking dispatcher and comes back as
 * messages.
 */
public final class Ledger extends AbstractBehavior<LedgerProtocol.Command> implements LedgerProtocol {

  // private messages

  private record OwnerStopped(ActorRef<?> owner) implements Command {}

  private enum Refresh implements Command { INSTANCE }

  public static final String BLOCKING_DISPATCHER = "volumed.blocking-dispatcher";

  public static Behavior<Command> create(
      PoolSettings pool, PoolStore store, SpaceProbe probe, Duration refreshInterval) {
    return create(pool, store, probe, refreshInterval, PoolEvents.none());
  }

  /** A ledger that publishes its pool's changes of level and of volumes to {@code events}. */
  public static Behavior<Command> create(
      PoolSettings pool, PoolStore store, SpaceProbe probe, Duration refreshInterval, PoolEvents events) {
    return LedgerLifecycle.create(pool, store, probe, refreshInterval, events);
  }

  private final PoolSettings pool;
  private final Refusals refusals;
  private final Books books;
  private final SpaceReadings space;
  private final LedgerSnapshots snapshots;
  private final PoolEvents events;
  private final LevelWatch levels;

  private final Volumes<ActorRef<?>> volumes = new Volumes<>();
  private final Reservations<ActorRef<?>> reservations = new Reservations<>();
  private final InPlace inPlace;
  private final Refreshes refreshes;
  /** Owners of reservations or deletions, watched until they stop (a watch is not cheap to redo). */
  private final Set<ActorRef<?>> watched = new HashSet<>();
  /** What the pool's file system can do: asking for what it cannot is UNSUPPORTED at admission. */
  private final Capabilities capabilities;

  /** The books are loaded: the ledger serves from them, and refreshes them every refreshInterval. */
  Ledger(ActorContext<Command> context, TimerScheduler<Command> timers, PoolSettings pool, PoolStore store,
      SpaceProbe probe, Duration refreshInterval, Executor blocking, List<Volume> loaded, Capabilities capabilities,
      PoolEvents events) {
    super(context);
    this.capabilities = capabilities;
    this.pool = pool;
    this.refusals = new Refusals(pool.name(), pool.path());
    this.books = new Books(new PoolLimits(pool.name(), pool.capacity(), pool.reservedPercent(),
        pool.maxOvercommitRatio()));
    for (Volume volume : loaded) {
      volumes.put(volume);
      books.add(volume);
    }
    this.space = new SpaceReadings(probe, books);
    this.events = events;
    this.levels = new LevelWatch(pool.name(), pool.watermarks(), events, context.getLog(), books, space.last());
    this.snapshots = new LedgerSnapshots(Meters.of(context.getSystem()), pool, books, space, volumes,
        () -> levels.current().level());
    this.inPlace = new InPlace(pool.name(), volumes, books, space, refusals, capabilities, levels, events,
        context.getLog());
    this.refreshes = new Refreshes(context, pool.name(), store, blocking, volumes, books, space, levels, snapshots);
    loaded.stream().filter(Volume::adopted).forEach(volume -> events.volume(PoolEvent.Action.ADOPTED, pool.name(), volume));
    context.getLog().info("pool {}: {} volumes at {}, {} committed, {} provisioned", pool.name(),
        loaded.size(), pool.path(), books.committed(), books.provisioned());
    timers.startTimerWithFixedDelay(Refresh.INSTANCE, Refresh.INSTANCE, refreshInterval);
  }

  @Override
  public Receive<Command> createReceive() {
    return snapshots.publishingAfterChanges(newReceiveBuilder()
        .onMessage(Reserve.class, this::onReserve)
        .onMessage(ReserveBatch.class, this::onReserveBatch)
        .onMessage(Complete.class, this::onComplete)
        .onMessage(Release.class, this::onRelease)
        .onMessage(BeginDelete.class, r -> begun(r.replyTo(), inPlace.beginDelete(r.name(), conflict(r.name()),
            r.replyTo())))
        .onMessage(DeleteFinished.class, f -> ended(() -> inPlace.deleteFinished(f.name(), f.deleted())))
        .onMessage(BeginChange.class, r -> begun(r.replyTo(), inPlace.begin(r, conflict(r.name()))))
        .onMessage(ChangeEnded.class, f -> ended(() -> inPlace.ended(f)))
        .onMessage(Get.class, this::onGet)
        .onMessage(ListVolumes.class, this::onList)
        .onMessage(GetStats.class, this::onStats)
        .onMessage(OwnerStopped.class, this::onOwnerStopped)
        .onMessage(Refresh.class, r -> ended(refreshes::start))
        .onMessage(Refreshes.Measured.class, m -> ended(() -> refreshes.measured(m)))
        .onMessage(Refreshes.MeasuringFailed.class, f -> ended(() -> refreshes.failed(f)))
        .build());
  }

  private Behavior<Command> onReserve(Reserve request) {
    ReserveReply outcome = precheck(request.spec());
    request.replyTo().tell(outcome != null ? outcome : admitAndReserve(request.spec(), request.replyTo()));
    return this;
  }

  private Behavior<Command> onReserveBatch(ReserveBatch request) {
    List<ReserveReply> outcomes = new ArrayList<>(); // null: a new volume of an atomic batch, not decided yet
    List<VolumeSpec> fresh = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (VolumeSpec spec : request.specs()) {
      ReserveReply outcome = seen.add(spec.name()) ? precheck(spec) : Refusals.namedTwiceInBatch(spec.name());
      if (outcome instanceof Refused refused && request.atomic()) {
        request.replyTo().tell(refused);
        return this;
      }
      if (outcome == null) {
        fresh.add(spec);
      }
      outcomes.add(outcome == null && !request.atomic() ? admitAndReserve(spec, request.replyTo()) : outcome);
    }
    // An atomic batch is decided as one request: the sums of its new volumes.
    Refused refused = request.atomic() && !fresh.isEmpty() ? admit(Demand.of(fresh)) : null;
    if (refused != null) {
      request.replyTo().tell(refused);
      return this;
    }
    for (int i = 0; i < outcomes.size(); i++) {
      if (outcomes.get(i) == null) {
        outcomes.set(i, new Admitted(reserve(request.specs().get(i), request.replyTo())));
      }
    }
    request.replyTo().tell(new BatchReserved(outcomes));
    return this;
  }

  /** What a name's current state says of a new reservation: null (go on), Existed, or Refused. */
  private ReserveReply precheck(VolumeSpec spec) {
    Refused conflict = conflict(spec.name());
    Volume existing = volumes.get(spec.name());
    if (conflict != null || existing == null) {
      return conflict != null ? conflict : refusals.unsupported(capabilities, spec.allocation(), spec.name());
    }
    if (existing.state() == Volume.State.DAMAGED) {
      return refusals.damaged(existing);
    }
    return existing.spec().sameShapeAs(spec) ? new Existed(existing) : refusals.alreadyExists(existing);
  }

  private Behavior<Command> onComplete(Complete complete) {
    VolumeSpec reserved = reservations.take(complete.reservationId());
    if (reserved != null) {
      books.complete(reserved, complete.volume().allocatedBytes());
    } else if (volumes.get(complete.volume().name()) == null) {
      // Reserved before this ledger restarted: the image is on disk, so it joins the books.
      getContext().getLog().warn("pool {}: {} completed under a reservation from before a restart",
          pool.name(), complete.volume().name());
      books.add(complete.volume());
    } else {
      return this;
    }
    volumes.put(complete.volume());
    // Blocks were taken: the next sparse decision reads the file system again. (A release only
    // gives blocks back, so the last reading stays on the safe side; a refusal re-reads.)
    space.stale();
    events.volume(PoolEvent.Action.CREATED, pool.name(), complete.volume());
    levels.update(books, space.last());
    return this;
  }

  private Behavior<Command> onRelease(Release release) {
    VolumeSpec reserved = reservations.take(release.reservationId());
    if (reserved != null) {
      books.release(reserved);
    }
    return this;
  }

  /** A delete or change in place was asked ({@link InPlace} decided); its worker is watched, so a stop ends it. */
  private <R> Behavior<Command> begun(ActorRef<R> worker, R reply) {
    watch(worker);
    worker.tell(reply);
    return this;
  }

  /** A step on this ledger's own state (a change ended, a refresh's part), after which it serves on. */
  private Behavior<Command> ended(Runnable step) {
    step.run();
    return this;
  }

  private Behavior<Command> onGet(Get request) {
    Volume volume = volumes.get(request.name());
    volume = volume != null ? volume : reservations.creating(request.name());
    request.replyTo().tell(volume != null ? new Found(volume, List.of(), inPlace.underway(request.name()))
        : refusals.notFound(request.name()));
    return this;
  }

  private Behavior<Command> onList(ListVolumes request) {
    List<Volume> all = new ArrayList<>(volumes.all());
    all.addAll(reservations.creating());
    all.sort(Comparator.comparing(Volume::name));
    request.replyTo().tell(new VolumeList(pool.name(), all));
    return this;
  }

  private Behavior<Command> onStats(GetStats request) {
    Space now = space.last();
    Figures figures = books.figures(now);
    request.replyTo().tell(new PoolStats(pool.name(), pool.path().toString(), figures.capacity(),
        pool.reservedPercent(), pool.maxOvercommitRatio(), books.committed(), books.provisioned(),
        books.allocated(), now.free(), figures.availableForFallocate(), figures.availableForSparse(),
        volumes.size(), reservations.size(), levels.current(), capabilities));
    return this;
  }

  private Behavior<Command> onOwnerStopped(OwnerStopped stopped) {
    watched.remove(stopped.owner());
    List<VolumeSpec> abandoned = reservations.takeAll(stopped.owner());
    if (!abandoned.isEmpty()) {
      abandoned.forEach(books::release);
      long bytes = abandoned.stream().mapToLong(VolumeSpec::size).sum();
      getContext().getLog().warn("pool {}: a worker stopped without finishing {} volumes; released {} bytes",
          pool.name(), abandoned.size(), bytes);
    }
    volumes.dropDeletionsOf(stopped.owner());
    inPlace.ownerStopped(stopped.owner());
    return this;
  }

  // admission

  /** Admitted and reserved for owner, or refused. */
  private ReserveReply admitAndReserve(VolumeSpec spec, ActorRef<?> owner) {
    Refused refused = admit(Demand.of(spec));
    return refused != null ? refused : new Admitted(reserve(spec, owner));
  }

  /** The books' decision on the reading {@link SpaceReadings} chooses; null when admitted. */
  private Refused admit(Demand demand) {
    if (levels.refusal(demand).isPresent()) {
      // Refused at level full only on a fresh reading: space may have been freed since the last.
      space.stale();
      levels.update(books, space.last());
      Optional<Decision.Refuse> full = levels.refusal(demand);
      if (full.isPresent()) {
        return new Refused(full.get().code(), full.get().message());
      }
    }
    return space.decide(demand) instanceof Decision.Refuse refuse ? new Refused(refuse.code(), refuse.message()) : null;
  }

  private long reserve(VolumeSpec spec, ActorRef<?> owner) {
    long id = reservations.add(spec, Instant.now(), owner);
    watch(owner);
    books.reserve(spec);
    return id;
  }

  /** Watches an owner once; when it stops, whatever it still holds is released. */
  private void watch(ActorRef<?> owner) {
    if (watched.add(owner)) {
      getContext().watchWith(owner, new OwnerStopped(owner));
    }
  }

  /** BUSY while the name is being created, deleted or changed in place; null otherwise. */
  private Refused conflict(String name) {
    return reservations.holds(name) ? refusals.creating(name)
        : volumes.isDeleting(name) ? refusals.deleting(name) : inPlace.busy(name);
  }
}

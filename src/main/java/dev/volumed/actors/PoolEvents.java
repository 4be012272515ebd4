package dev.volumed.actors;

import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.stream.BoundedSourceQueue;
import akka.stream.QueueOfferResult;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import dev.volumed.accounting.PoolLevel;
import dev.volumed.model.Level;
import dev.volumed.model.Volume;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * The publisher of {@link PoolEvent}s, one per daemon: ledgers (and workers) publish, watchers
 * subscribe. Publishing never waits: it is one offer to a bounded queue, and one stream hands the
 * events on (those of each 20 ms together) to every watcher's own bounded queue, also by an offer
 * that never waits. A watcher that
 * does not read loses what does not fit in its queue, counted, and is told how many with one
 * {@link Overflow} after the events it had when it reads again. With no watcher, publishing only
 * reads a set's size.
 */
public final class PoolEvents {
  /** Events waiting to be handed on to the watchers; past this they are lost for every watcher (counted). */
  private static final int HANDOVER_BOUND = 65_536;
  /**
   * Events published within this long are handed on together: one offer, one wake-up and one
   * write per watcher for all of them, so a thousand watchers cost a burst of creates little more
   * than one create. A watcher sees an event at most this much later.
   */
  private static final Duration GATHER = Duration.ofMillis(20);
  private static final int GATHER_MAX = 256;

  /** What a watch's stream carries: an event, or how many it lost. */
  public sealed interface Delivery {}

  /**
   * One published event, shared by every watcher: {@link #encoded} keeps what the first watcher
   * made of it (its line), so an event is encoded once however many watch.
   */
  public static final class Published implements Delivery {
    private final PoolEvent event;
    private final AtomicReference<Object> encoded = new AtomicReference<>();

    Published(PoolEvent event) {
      this.event = event;
    }

    public PoolEvent event() {
      return event;
    }

    @SuppressWarnings("unchecked")
    public <T> T encoded(Function<PoolEvent, T> encode) {
      Object made = encoded.get();
      if (made == null) {
        made = encode.apply(event);
        encoded.compareAndSet(null, made);
      }
      return (T) made;
    }
  }

  /** This many events were dropped for a watcher that did not read. */
  public record Overflow(long dropped) implements Delivery {}

  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
  private final BoundedSourceQueue<Published> handover;
  /** Events dropped at the hand-over, to be counted for every watcher. */
  private final AtomicLong lost = new AtomicLong();

  private PoolEvents(ActorSystem<?> system) {
    this.handover = system == null ? null
        : Source.<Published>queue(HANDOVER_BOUND).groupedWithin(GATHER_MAX, GATHER).to(Sink.foreach(this::handOn))
            .run(system);
  }

  /** The daemon's publisher, handing events on in a stream of {@code system}. */
  public static PoolEvents start(ActorSystem<?> system) {
    return new PoolEvents(system);
  }

  /** A publisher nobody can watch: for ledgers in tests that do not watch. */
  public static PoolEvents none() {
    return new PoolEvents(null);
  }

  /** A volume of {@code pool} changed; {@code volume} as it is now (as it was, for DELETED). */
  public void volume(PoolEvent.Action action, String pool, Volume volume) {
    publish(new PoolEvent.VolumeChanged(action, pool, volume));
  }

  /** A pool's level changed from {@code previous} (empty: the state a watch starts with). */
  public void level(String pool, PoolLevel now, Optional<Level> previous, String message) {
    publish(new PoolEvent.LevelChanged(pool, now, previous, message));
  }

  private void publish(PoolEvent event) {
    if (handover == null || watchers.isEmpty()) {
      return;
    }
    if (handover.offer(new Published(event)) != QueueOfferResult.enqueued()) {
      lost.incrementAndGet();
    }
  }

  /**
   * One watcher's events from now on, of the pools {@code pools} accepts: at most {@code bound}
   * wait for it, the rest are dropped and counted. The watcher is registered when the source runs
   * and forgotten when it ends; {@link #endAll} ends it.
   */
  public Source<Delivery, NotUsed> subscribe(Predicate<String> pools, int bound) {
    return Source.<Numbered>queue(bound)
        .mapMaterializedValue(queue -> {
          Watcher watcher = new Watcher(pools, queue, bound);
          watchers.add(watcher);
          return watcher;
        })
        .watchTermination((watcher, done) -> {
          done.whenComplete((ok, failure) -> watchers.remove(watcher));
          return NotUsed.getInstance();
        })
        .mapConcat(numbered -> {
          numbered.watcher().queued.addAndGet(-numbered.events().size());
          long dropped = numbered.watcher().droppedUpTo(numbered.seq());
          if (dropped == 0) {
            return numbered.events();
          }
          List<Delivery> out = new ArrayList<>(numbered.events());
          out.add(new Overflow(dropped));
          return out;
        });
  }

  /** Watchers now. */
  public int watchers() {
    return watchers.size();
  }

  /** Ends every watch (shutdown): each gets what it already has, then its stream completes. */
  public void endAll() {
    watchers.forEach(watcher -> watcher.queue.complete());
  }

  /** On the hand-over stream's turn only: one offer per watcher, never waiting. */
  private void handOn(List<Published> published) {
    long lostNow = lost.getAndSet(0);
    for (Watcher watcher : watchers) {
      try {
        if (lostNow > 0) {
          watcher.dropped(lostNow);
        }
        watcher.offer(published);
      } catch (RuntimeException e) {
        // One watcher's trouble never ends the hand-over for the others.
        LoggerFactory.getLogger(PoolEvents.class).warn("an event could not be handed to a watcher: {}", e.toString());
      }
    }
  }

  /** Events handed on together, in one watcher's queue, numbered in the order they were queued. */
  private record Numbered(long seq, List<Delivery> events, Watcher watcher) {}

  /** One watcher: its queue, and what it lost since it was last told. */
  private static final class Watcher {
    private final Predicate<String> pools;
    private final BoundedSourceQueue<Numbered> queue;
    /** Events waiting in the queue (it holds hand-overs of one or more), at most maxEvents. */
    private final AtomicLong queued = new AtomicLong();
    private final int maxEvents;
    /** Set on the hand-over's turn only. */
    private long lastSeq;
    private final AtomicLong dropped = new AtomicLong();
    /** The number of the last event queued before the first drop not yet told. */
    private volatile long droppedAfter;

    Watcher(Predicate<String> pools, BoundedSourceQueue<Numbered> queue, int maxEvents) {
      this.pools = pools;
      this.queue = queue;
      this.maxEvents = maxEvents;
    }

    void offer(List<Published> published) {
      List<Delivery> mine = new ArrayList<>(published.size());
      for (Published one : published) {
        if (pools.test(one.event().pool())) {
          mine.add(one);
        }
      }
      // What fits is queued, in order; the rest is dropped and counted after it.
      int room = (int) Math.max(0, Math.min(mine.size(), maxEvents - queued.get()));
      int lost = mine.size() - room;
      // Counted before what fits is queued: the watcher may take it at once, and must then learn of
      // the loss with it (told with the hand-over numbered lastSeq + 1, or a later one).
      if (lost > 0) {
        dropped(lost, room > 0 ? lastSeq + 1 : lastSeq);
      }
      if (room > 0) {
        List<Delivery> fits = room == mine.size() ? mine : List.copyOf(mine.subList(0, room));
        queued.addAndGet(room);
        QueueOfferResult result = queue.offer(new Numbered(lastSeq + 1, fits, this));
        if (result == QueueOfferResult.enqueued()) {
          lastSeq++;
        } else {
          queued.addAndGet(-room);
          if (result == QueueOfferResult.dropped()) {
            dropped(room, lastSeq + 1); // told with the next hand-over queued, which gets that number
          }
        }
      }
    }

    /** Lost for a watcher that did not read: on the hand-over's turn only. */
    void dropped(long n) {
      dropped(n, lastSeq);
    }

    /** n lost, to be told once the hand-over numbered {@code after} is out (if none is being told yet). */
    private void dropped(long n, long after) {
      if (dropped.get() == 0) {
        droppedAfter = after;
      }
      dropped.addAndGet(n);
    }

    /** Once the event numbered seq is out: how many were dropped after it (told once), else 0. */
    long droppedUpTo(long seq) {
      return dropped.get() > 0 && droppedAfter <= seq ? dropped.getAndSet(0) : 0;
    }
  }
}

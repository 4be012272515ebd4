package dev.volumed.actors;

import akka.actor.typed.Behavior;
import akka.actor.typed.Signal;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.accounting.Books;
import dev.volumed.accounting.Figures;
import dev.volumed.accounting.Space;
import dev.volumed.metrics.PoolSnapshot;
import dev.volumed.metrics.VolumedMetrics;
import dev.volumed.model.Volume;
import dev.volumed.settings.PoolSettings;
import dev.volumed.model.Level;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * Hands a ledger's books to the metrics as an immutable {@link PoolSnapshot}: after every message
 * that may change them (so the gauges equal the books), and as a refresh once the books are loaded
 * and after each refresh. It runs on the ledger's own turn, reads only the ledger's state, and
 * reads the file system only for a refresh: in between, the free space is the ledger's last reading.
 */
final class LedgerSnapshots {
  private final VolumedMetrics metrics;
  private final PoolSettings pool;
  private final Books books;
  private final SpaceReadings space;
  private final Volumes<?> volumes;
  private final Supplier<Level> level;
  /** The volumes' figures as last published: reused after a message that cannot change them. */
  private List<Volume> perVolume = List.of();

  LedgerSnapshots(VolumedMetrics metrics, PoolSettings pool, Books books, SpaceReadings space, Volumes<?> volumes,
      Supplier<Level> level) {
    this.metrics = metrics;
    this.level = level;
    this.pool = pool;
    this.books = books;
    this.space = space;
    this.volumes = volumes;
    // The books are loaded and the file system was just read: as good as a refresh.
    metrics.refreshed(snapshot(space.lastTaken(), true));
  }

  /** The ledger's receive, publishing after each message but the ones that only read. */
  Receive<LedgerProtocol.Command> publishingAfterChanges(Receive<LedgerProtocol.Command> receive) {
    return new Receive<>() {
      @Override
      public Behavior<LedgerProtocol.Command> receiveMessage(LedgerProtocol.Command message) throws Exception {
        Behavior<LedgerProtocol.Command> next = receive.receiveMessage(message);
        if (!(message instanceof LedgerProtocol.Get || message instanceof LedgerProtocol.ListVolumes
            || message instanceof LedgerProtocol.GetStats)) {
          // Reservations change the figures, not the published volumes: their list is not built again.
          boolean volumesMayChange = !(message instanceof LedgerProtocol.Reserve
              || message instanceof LedgerProtocol.ReserveBatch || message instanceof LedgerProtocol.Release
              || message instanceof LedgerProtocol.BeginDelete);
          metrics.publish(snapshot(space.lastTaken(), volumesMayChange));
        }
        return next;
      }

      @Override
      public Behavior<LedgerProtocol.Command> receiveSignal(Signal signal) throws Exception {
        return receive.receiveSignal(signal);
      }
    };
  }

  /** A refresh has measured the images: the file system is read again, and the metrics told. */
  void refreshed() {
    metrics.refreshed(snapshot(space.last(), true));
  }

  private PoolSnapshot snapshot(Space now, boolean volumesMayChange) {
    Figures figures = books.figures(now);
    if (volumesMayChange && metrics.perVolume()) {
      perVolume = List.copyOf(volumes.all());
    }
    return new PoolSnapshot(pool.name(), figures.capacity(), figures.usable(), books.committed(), books.provisioned(),
        books.allocated(), now.free(), pool.maxOvercommitRatio(), volumes.size(), level(), perVolume);
  }

  /** volumed_pool_level: the ledger's level as 0 ok, 1 warn, 2 critical, 3 full (Level's order). */
  private OptionalInt level() {
    return OptionalInt.of(level.get().ordinal());
  }
}

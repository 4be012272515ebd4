package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import dev.volumed.accounting.Books;
import dev.volumed.actors.LedgerProtocol.Command;
import dev.volumed.disk.ImageCheck;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A ledger's refresh: every published image checked against its metadata on the blocking
 * dispatcher (one refresh at a time), then, on the ledger's turn, each volume's blocks moved in the
 * books and the volume marked damaged or ready as its image is. Plain state the ledger calls.
 */
final class Refreshes {

  /** A refresh: each asked volume's image checked against its metadata. */
  record Measured(List<Volume> asked, Map<String, ImageCheck.Result> checks) implements Command {}

  record MeasuringFailed(Throwable failure) implements Command {}

  private final ActorContext<Command> context;
  private final String pool;
  private final PoolStore store;
  private final Executor blocking;
  private final Volumes<ActorRef<?>> volumes;
  private final Books books;
  private final SpaceReadings space;
  private final LevelWatch levels;
  private final LedgerSnapshots snapshots;
  private boolean measuring;

  Refreshes(ActorContext<Command> context, String pool, PoolStore store, Executor blocking,
      Volumes<ActorRef<?>> volumes, Books books, SpaceReadings space, LevelWatch levels,
      LedgerSnapshots snapshots) {
    this.levels = levels;
    this.context = context;
    this.pool = pool;
    this.store = store;
    this.blocking = blocking;
    this.volumes = volumes;
    this.books = books;
    this.space = space;
    this.snapshots = snapshots;
  }

  void start() {
    if (measuring) {
      return;
    }
    measuring = true;
    List<Volume> asked = List.copyOf(volumes.all());
    List<VolumeSpec> specs = asked.stream().map(Volume::spec).toList();
    // Only the images are measured there: the probe is read on the ledger's turn alone.
    context.pipeToSelf(
        CompletableFuture.supplyAsync(() -> store.measure(specs), blocking),
        (checks, failure) -> failure != null ? new MeasuringFailed(failure) : new Measured(asked, checks));
  }

  void failed(MeasuringFailed failed) {
    measuring = false;
    context.getLog().warn("pool {}: measuring failed: {}", pool, failed.failure().toString());
  }

  void measured(Measured measured) {
    measuring = false;
    // Blocks came and went meanwhile: the next decision or stats reads the file system again.
    space.stale();
    for (Volumes.Remeasured change : volumes.remeasure(measured.asked(), measured.checks())) {
      // Only its blocks change in the books: a damaged volume keeps counting its recorded size
      // (provisioned, and committed for fallocate/full) until it is restored or deleted.
      books.remeasured(change.before().allocatedBytes(), change.now().allocatedBytes());
      // A turn to damaged or back to ready is logged, not each refresh (get and list show the reason).
      Volume now = change.now();
      if (now.state() == change.before().state()) {
        continue;
      }
      if (now.damage().isPresent()) {
        context.getLog().warn("pool {}: {} is damaged: {}; it is shown \"damaged\" and keeps its recorded size"
            + " in the books until its image is restored or it is deleted", pool, now.name(), now.damage().get());
      } else {
        context.getLog().info("pool {}: {} matches its metadata again; it is ready", pool, now.name());
      }
    }
    levels.update(books, space.last());
    snapshots.refreshed();
  }
}

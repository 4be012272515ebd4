package dev.volumed.csi;

import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolManager;
import dev.volumed.model.Volume;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** The volumes as the CSI node service may use them: ready, untouched, found through their pool managers. */
final class NodeVolumes {
  private final Pools pools;

  NodeVolumes(Pools pools) {
    this.pools = pools;
  }

  /** A volume that is ready, and the path of its image. */
  record Found(Volume volume, Path image) {}

  /**
   * The volume as its pool manager knows it: NOT_FOUND when there is none; UNAVAILABLE while it is
   * still being made, deleted or changed in place (the CO tries again); FAILED_PRECONDITION when it
   * is damaged.
   */
  CompletionStage<Found> ready(VolumeIds ids) {
    Pools.Pool pool = pools.named(ids.pool()).orElseThrow(() -> Statuses.notFound("no volume " + ids.id()
        + ": volumed has no pool " + ids.pool()));
    return pools.<Ledger.GetReply>ask(pool, replyTo -> new PoolManager.Lookup(ids.name(), replyTo)).thenApply(reply -> {
      if (reply instanceof Ledger.Refused refused) {
        throw Statuses.of(refused.code(), refused.message());
      }
      Volume volume = ((Ledger.Found) reply).volume();
      switch (volume.state()) {
        case CREATING -> throw Status.UNAVAILABLE.withDescription("volume " + ids.id() + " is still being made;"
            + " try again once it is ready").asRuntimeException();
        case DAMAGED -> throw Status.FAILED_PRECONDITION.withDescription("volume " + ids.id() + " is damaged: "
            + volume.damage().orElse("?")).asRuntimeException();
        case READY -> {
          // served
        }
      }
      Optional<String> underway = ((Ledger.Found) reply).underway();
      if (underway.isPresent()) {
        throw Status.UNAVAILABLE.withDescription("volume " + ids.id() + " is " + underway.get()
            + "; try again when that finishes").asRuntimeException();
      }
      return new Found(volume, pool.settings().path().resolve(ids.name()));
    });
  }

}

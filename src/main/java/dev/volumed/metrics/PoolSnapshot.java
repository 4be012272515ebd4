package dev.volumed.metrics;

import dev.volumed.model.Volume;
import java.util.List;
import java.util.OptionalInt;

/**
 * One pool's books as its ledger had them after its last change or refresh. Immutable: the ledger
 * hands a new one over on its own turn and a scrape reads the latest from any thread, so a scrape
 * never asks (or waits for) an actor.
 *
 * @param filesystemAvailBytes the file system's free space as last read (f_bavail)
 * @param volumes published volumes
 * @param level 0 ok, 1 warn, 2 critical, 3 full; empty while the ledger computes no level
 * @param perVolume the published volumes (immutable records: their size and blocks give the per-volume
 *     series); empty when per-volume series are off
 */
public record PoolSnapshot(
    String pool,
    long capacityBytes,
    long usableBytes,
    long committedBytes,
    long provisionedBytes,
    long allocatedBytes,
    long filesystemAvailBytes,
    double maxOvercommitRatio,
    int volumes,
    OptionalInt level,
    List<Volume> perVolume) {

  public PoolSnapshot {
    perVolume = List.copyOf(perVolume);
  }
}

package dev.volumed.actors;

import dev.volumed.accounting.Books;
import dev.volumed.accounting.PoolLimits;
import dev.volumed.accounting.Space;
import dev.volumed.metrics.VolumedMetrics;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the metrics cost, by the number of volumes in a pool and whether per-volume series are on
 * (in this package because {@link LedgerSnapshots} is the ledger's own):
 *
 * <ul>
 *   <li>{@link #publish}: the snapshot a ledger hands over after a message that may change its
 *       volumes (a completion, a deletion, a refresh), on the ledger's turn;
 *   <li>{@link #scrape}: GET /metrics' text, on the HTTP server's thread.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LedgerSnapshotsBenchmark {
  @Param({"1000", "10000"})
  public int volumes;

  @Param({"true", "false"})
  public boolean perVolume;

  private VolumedMetrics metrics;
  private LedgerSnapshots snapshots;

  @Setup
  public void setUp() {
    metrics = new VolumedMetrics(perVolume);
    PoolSettings pool = new PoolSettings("bench", Path.of("/nonexistent"), OptionalLong.empty(), 0, 4.0,
        Allocation.SPARSE, FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(),
        Optional.empty());
    Books books = new Books(new PoolLimits("bench", OptionalLong.empty(), 0, 4.0));
    Volumes<Object> published = new Volumes<>();
    for (int i = 0; i < volumes; i++) {
      Volume volume = new Volume(new VolumeSpec("vm" + i + "/root.img", 10L << 30, FileSystemType.EXT4,
          Optional.empty(), List.of(), Allocation.SPARSE), Instant.now(), 1L << 20, Volume.State.READY, false);
      published.put(volume);
      books.add(volume);
    }
    SpaceReadings space = new SpaceReadings(() -> new Space(1L << 50, 1L << 50), books);
    snapshots = new LedgerSnapshots(metrics, pool, books, space, published, () -> dev.volumed.model.Level.OK);
  }

  @Benchmark
  public void publish() {
    snapshots.refreshed();
  }

  @Benchmark
  public byte[] scrape() {
    return metrics.text();
  }
}

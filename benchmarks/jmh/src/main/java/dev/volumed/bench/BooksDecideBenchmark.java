package dev.volumed.bench;

import dev.volumed.accounting.Books;
import dev.volumed.accounting.Decision;
import dev.volumed.accounting.PoolLimits;
import dev.volumed.accounting.Space;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Admission decisions per second of the pure {@link Books}, with no actor around them: the
 * arithmetic the ledger does per request, on one thread, against a fixed file-system reading (1
 * EiB total and free, the pool's books holding 1,000 volumes).
 *
 * <ul>
 *   <li>{@link #decide}: {@code books.decide(spec, space)} only, the books unchanged.
 *   <li>{@link #decideReserveRelease}: decide, reserve, release: what the ledger's books do for a
 *       {@code Reserve} answered {@code Admitted} and then its {@code Release} (the actor
 *       benchmark's {@code reserveRelease}).
 * </ul>
 *
 * <p>Specs as in {@link LedgerAdmissionBenchmark}: {@code sparse-ext4} (10 GiB sparse ext4: rules 2
 * and 3, the formatting overhead estimated per decision) and {@code fallocate} (4 KiB: rules 1 and
 * 2).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class BooksDecideBenchmark {
  static final long GIB = 1L << 30;

  @Param({"sparse-ext4", "fallocate"})
  public String spec;

  private Books books;
  private Space space;
  private VolumeSpec request;

  @Setup(Level.Trial)
  public void setUp() {
    books = new Books(new PoolLimits("bench", OptionalLong.empty(), 5.0, 1_000_000.0));
    space = new Space(1L << 60, 1L << 60);
    for (int i = 0; i < 1_000; i++) {
      VolumeSpec existing = new VolumeSpec("old/v" + i, 10 * GIB, FileSystemType.EXT4, Optional.empty(),
          List.of(), i % 2 == 0 ? Allocation.SPARSE : Allocation.FALLOCATE);
      books.add(new Volume(existing, Instant.EPOCH, 4L << 20, Volume.State.READY, false));
    }
    request = switch (spec) {
      case "sparse-ext4" -> new VolumeSpec("bench/v", 10 * GIB, FileSystemType.EXT4, Optional.of("bench"),
          List.of(), Allocation.SPARSE);
      case "fallocate" -> new VolumeSpec("bench/v", 4096, FileSystemType.EXT4, Optional.of("bench"),
          List.of(), Allocation.FALLOCATE);
      default -> throw new IllegalArgumentException("spec: sparse-ext4 or fallocate, not " + spec);
    };
    if (books.decide(request, space) != Decision.Admit.INSTANCE) {
      throw new IllegalStateException("the benchmark's request must be admitted");
    }
  }

  @Benchmark
  public Decision decide() {
    return books.decide(request, space);
  }

  @Benchmark
  public Decision decideReserveRelease() {
    Decision decision = books.decide(request, space);
    books.reserve(request);
    books.release(request);
    return decision;
  }
}

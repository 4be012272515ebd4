package dev.volumed.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.volumed.accounting.Books;
import dev.volumed.accounting.Decision;
import dev.volumed.accounting.Demand;
import dev.volumed.accounting.PoolLimits;
import dev.volumed.accounting.Space;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.VolumeSpec;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** When the ledger reads its file system: every fallocate decision, a sparse one only when it must. */
class SpaceReadingsTest {
  static final long GIB = 1L << 30;

  /** A probe that counts its reads and reports whatever free space the test sets. */
  static final class CountingProbe implements SpaceProbe {
    final AtomicInteger reads = new AtomicInteger();
    volatile long free = 1L << 40;

    @Override
    public Space read() {
      reads.incrementAndGet();
      return new Space(1L << 40, free);
    }
  }

  final CountingProbe probe = new CountingProbe();
  final Books books = new Books(new PoolLimits("p", OptionalLong.empty(), 0, 2.0));

  @Test
  void takesAReadingWhenMadeAndReadsAgainForEveryFallocateDecision() {
    SpaceReadings readings = new SpaceReadings(probe, books);
    assertEquals(1, probe.reads.get());
    readings.decide(Demand.of(spec("a", Allocation.FALLOCATE)));
    readings.decide(Demand.of(spec("b", Allocation.FULL)));
    assertEquals(3, probe.reads.get());
  }

  @Test
  void sparseDecisionsAndStatsUseTheLastReadingUntilItTurnsStale() {
    SpaceReadings readings = new SpaceReadings(probe, books);
    assertInstanceOf(Decision.Admit.class, readings.decide(Demand.of(spec("a", Allocation.SPARSE))));
    readings.last();
    assertEquals(1, probe.reads.get());
    readings.stale();
    readings.decide(Demand.of(spec("b", Allocation.SPARSE)));
    readings.last();
    assertEquals(2, probe.reads.get());
  }

  @Test
  void aSparseDecisionThatWouldBeRefusedForLackOfSpaceIsTakenAgainOnAFreshReading() {
    probe.free = 0;
    SpaceReadings readings = new SpaceReadings(probe, books);
    probe.free = 1L << 40;
    assertInstanceOf(Decision.Admit.class, readings.decide(Demand.of(spec("a", Allocation.SPARSE))));
    assertEquals(2, probe.reads.get());
    assertEquals(1L << 40, readings.last().free());
  }

  static VolumeSpec spec(String name, Allocation allocation) {
    return new VolumeSpec(name, GIB, FileSystemType.EXT4, Optional.empty(), List.of(), allocation);
  }
}

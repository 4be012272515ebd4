package dev.volumed.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Level;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.Watermarks;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The level rule: the highest watermark the larger of the two percents has reached, and what FULL refuses. */
class PoolLevelTest {
  private static final Watermarks MARKS = Watermarks.DEFAULT;
  private static final long GIB = 1L << 30;

  @Test
  void eachWatermarkIsReachedAtExactlyItsPercent() {
    assertEquals(Level.OK, PoolLevel.level(MARKS, 79.99));
    assertEquals(Level.WARN, PoolLevel.level(MARKS, 80));
    assertEquals(Level.WARN, PoolLevel.level(MARKS, 89.99));
    assertEquals(Level.CRITICAL, PoolLevel.level(MARKS, 90));
    assertEquals(Level.FULL, PoolLevel.level(MARKS, 95));
    assertEquals(Level.FULL, PoolLevel.level(MARKS, 100));
    assertEquals(Level.OK, PoolLevel.level(MARKS, 0));
  }

  @Test
  void theLargerOfAllocatedAndFileSystemUsedDecides() {
    // 10 GiB usable, 9.5 GiB allocated by volumes, file system 10 % used: full by allocation.
    PoolLevel byAllocation = PoolLevel.of(MARKS, 9 * GIB + GIB / 2, 10 * GIB, new Space(100 * GIB, 90 * GIB));
    assertEquals(95.0, byAllocation.allocatedPercent());
    assertEquals(10.0, byAllocation.filesystemUsedPercent());
    assertEquals(Level.FULL, byAllocation.level());
    // Nothing allocated, but other files fill the file system to 91 %: critical.
    PoolLevel byOthers = PoolLevel.of(MARKS, 0, 10 * GIB, new Space(100 * GIB, 9 * GIB));
    assertEquals(Level.CRITICAL, byOthers.level());
    assertEquals(91.0, byOthers.filesystemUsedPercent());
  }

  @Test
  void percentsAreRoundedDownSoAShownWatermarkIsReached() {
    // 94.999 % used shows as 94.99 and is critical, never "95.0" and critical.
    PoolLevel almost = PoolLevel.of(MARKS, 0, GIB, new Space(100_000, 5_001));
    assertEquals(94.99, almost.filesystemUsedPercent());
    assertEquals(Level.CRITICAL, almost.level());
  }

  @Test
  void anEmptyOrSizelessPoolIsOk() {
    assertEquals(Level.OK, PoolLevel.of(MARKS, 0, 0, new Space(0, 0)).level());
    assertEquals(Level.FULL, PoolLevel.of(MARKS, 1, 0, new Space(0, 0)).level());
  }

  @Test
  void theLevelNeverFallsAsEitherPercentRises() {
    Property.forAll(random -> new long[] {random.nextLong(0, 10_000), random.nextLong(0, 10_000),
            random.nextLong(0, 10_000), random.nextLong(0, 10_000)},
        c -> List.of(),
        c -> {
          double warn = 1 + c[0] % 60;
          Watermarks marks = new Watermarks(warn, warn + 1 + c[1] % 20, Math.min(100, warn + 22 + c[1] % 10));
          double a = c[2] / 100.0;
          double b = c[3] / 100.0;
          Level lower = PoolLevel.level(marks, Math.min(a, b));
          Level higher = PoolLevel.level(marks, Math.max(a, b));
          assertTrue(lower.compareTo(higher) <= 0, marks + " " + a + " " + b);
          // The level reached is one whose watermark is at most the percent, the next one's above it.
          assertTrue(marks.of(higher) <= Math.max(a, b));
          if (higher != Level.FULL) {
            assertTrue(marks.of(Level.values()[higher.ordinal() + 1]) > Math.max(a, b));
          }
          return higher.wireName();
        });
  }

  @Test
  void atFullSparseRequestsAreRefusedNamingTheLevelAndThePercent() {
    PoolLevel full = PoolLevel.of(MARKS, 0, 10 * GIB, new Space(100 * GIB, 3 * GIB));
    Optional<Decision.Refuse> sparse = full.refusal(Demand.of(spec("a", Allocation.SPARSE)), "fast", MARKS);
    assertTrue(sparse.isPresent());
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, sparse.get().code());
    assertTrue(sparse.get().message().contains("level full"), sparse.get().message());
    assertTrue(sparse.get().message().contains("97 % used"), sparse.get().message());
    // A batch with one sparse volume among fallocate ones is refused too.
    assertTrue(full.refusal(Demand.of(List.of(spec("b", Allocation.FALLOCATE), spec("c", Allocation.SPARSE))),
        "fast", MARKS).isPresent());
    // fallocate and full volumes are left to rule 1.
    assertTrue(full.refusal(Demand.of(spec("d", Allocation.FALLOCATE)), "fast", MARKS).isEmpty());
    assertTrue(full.refusal(Demand.of(List.of(spec("e", Allocation.FULL), spec("f", Allocation.FALLOCATE))),
        "fast", MARKS).isEmpty());
    // Every resize is refused at full, whatever its allocation; none below.
    Optional<Decision.Refuse> resize = full.resizeRefusal("vm1/data.img", "fast", MARKS);
    assertTrue(resize.isPresent() && resize.get().message().contains("resizing volume vm1/data.img"), resize.toString());
    // Below full nothing is refused by level.
    PoolLevel critical = PoolLevel.of(MARKS, 0, 10 * GIB, new Space(100 * GIB, 6 * GIB));
    assertTrue(critical.refusal(Demand.of(spec("g", Allocation.SPARSE)), "fast", MARKS).isEmpty());
    assertTrue(critical.resizeRefusal("g", "fast", MARKS).isEmpty());
  }

  @Test
  void watermarksMustRiseAndStayWithinAHundred() {
    assertEquals(null, Watermarks.problem(80, 90, 95));
    assertEquals(null, Watermarks.problem(1, 2, 100));
    assertTrue(Watermarks.problem(0, 90, 95) != null);
    assertTrue(Watermarks.problem(90, 90, 95) != null);
    assertTrue(Watermarks.problem(80, 96, 95) != null);
    assertTrue(Watermarks.problem(80, 90, 100.5) != null);
  }

  private static VolumeSpec spec(String name, Allocation allocation) {
    return new VolumeSpec(name, GIB, FileSystemType.NONE, Optional.empty(), List.of(), allocation);
  }
}

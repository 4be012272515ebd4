package dev.volumed.accounting;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.Level;
import dev.volumed.model.Watermarks;
import java.util.Optional;

/**
 * How full a pool is, computed here and nowhere else:
 * {@code allocatedPercent = allocated / usable × 100} (blocks its volumes really use) and
 * {@code filesystemUsedPercent = (size − f_bavail) / size × 100} of its file system (other tenants'
 * files included); the level is the highest watermark the larger of the two has reached ({@code ≥}).
 * Both percents are rounded down to hundredths, so a percent shown as 95.00 has reached 95.
 */
public record PoolLevel(double allocatedPercent, double filesystemUsedPercent, Level level) {

  public static PoolLevel of(Watermarks watermarks, long allocated, long usable, Space space) {
    double allocatedPercent = usable > 0 ? percent(allocated, usable) : allocated > 0 ? 100 : 0;
    double usedPercent = space.total() > 0 ? percent(space.total() - space.free(), space.total()) : 0;
    return new PoolLevel(allocatedPercent, usedPercent, level(watermarks, Math.max(allocatedPercent, usedPercent)));
  }

  /** The highest watermark {@code percent} has reached; OK below warn. */
  public static Level level(Watermarks watermarks, double percent) {
    Level reached = Level.OK;
    for (Level level : Level.values()) {
      if (percent >= watermarks.of(level)) {
        reached = level;
      }
    }
    return reached;
  }

  /** The larger of the two percents: what the level is decided on. */
  public double percent() {
    return Math.max(allocatedPercent, filesystemUsedPercent);
  }

  /**
   * While the pool is FULL, a request with sparse volumes (their blocks come as guests write) is
   * INSUFFICIENT_SPACE, naming the level and the percent; fallocate/full volumes are left to rule 1,
   * which checks the physical room they take now.
   */
  public Optional<Decision.Refuse> refusal(Demand demand, String pool, Watermarks watermarks) {
    if (level != Level.FULL || demand.total() <= demand.blocks()) {
      return Optional.empty();
    }
    return Optional.of(new Decision.Refuse(ErrorCode.INSUFFICIENT_SPACE, String.format(
        "pool %s is at level full (%s, full-percent is %s): %s with sparse volumes is refused until space is"
            + " freed; free space on its file system or delete volumes, or ask for allocation \"fallocate\"",
        pool, which(), Watermarks.percent(watermarks.fullPercent()), demand.describe())));
  }

  /** While the pool is FULL every resize (of any allocation) is INSUFFICIENT_SPACE; empty otherwise. */
  public Optional<Decision.Refuse> resizeRefusal(String volume, String pool, Watermarks watermarks) {
    if (level != Level.FULL) {
      return Optional.empty();
    }
    return Optional.of(new Decision.Refuse(ErrorCode.INSUFFICIENT_SPACE, String.format(
        "pool %s is at level full (%s, full-percent is %s): resizing volume %s is refused until space is freed;"
            + " free space on its file system or delete volumes", pool, which(),
        Watermarks.percent(watermarks.fullPercent()), volume)));
  }

  /** Which percent made the level, as a message says it. */
  private String which() {
    return filesystemUsedPercent >= allocatedPercent
        ? "its file system is " + Watermarks.percent(filesystemUsedPercent) + " % used"
        : "its volumes use " + Watermarks.percent(allocatedPercent) + " % of its usable space";
  }

  private static double percent(long part, long whole) {
    return Math.floor((double) part / whole * 10_000) / 100;
  }
}

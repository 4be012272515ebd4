package dev.volumed.accounting;

import dev.volumed.model.FormatOverhead;
import dev.volumed.model.VolumeSpec;
import java.util.Collection;

/**
 * What one request asks of a pool, summed over its volumes: {@code blocks}, the sizes of its
 * fallocate/full volumes; {@code total}, the sizes of all of them; {@code overhead}, what
 * formatting its sparse volumes writes. Sums stop at {@link Long#MAX_VALUE} instead of wrapping,
 * so a huge request is refused rather than admitted as a negative.
 */
public record Demand(long blocks, long total, long overhead, int volumes, String firstName) {

  public static Demand of(VolumeSpec spec) {
    boolean reserves = spec.allocation().reservesBlocks();
    return new Demand(reserves ? spec.size() : 0, spec.size(),
        reserves ? 0 : FormatOverhead.estimate(spec), 1, spec.name());
  }

  /**
   * Growing a volume to {@code newSize}: only the growth is asked for. Rule 2 for every
   * allocation; for fallocate/full the growth is also physical blocks (rule 1). No formatting
   * overhead: the file system is grown, not made.
   */
  public static Demand growth(VolumeSpec spec, long newSize) {
    long delta = Math.max(0, newSize - spec.size());
    return new Demand(spec.allocation().reservesBlocks() ? delta : 0, delta, 0, 1, spec.name());
  }

  /** The sums of the specs, as one request (an atomic batch). */
  public static Demand of(Collection<VolumeSpec> specs) {
    long blocks = 0;
    long total = 0;
    long overhead = 0;
    String first = null;
    for (VolumeSpec spec : specs) {
      first = first == null ? spec.name() : first;
      total = plus(total, spec.size());
      if (spec.allocation().reservesBlocks()) {
        blocks = plus(blocks, spec.size());
      } else {
        overhead = plus(overhead, FormatOverhead.estimate(spec));
      }
    }
    return new Demand(blocks, total, overhead, specs.size(), first);
  }

  /** True when some volume needs its blocks now (fallocate/full): decided on a fresh reading. */
  public boolean reservesBlocks() {
    return blocks > 0;
  }

  /** "volume NAME" or "batch of N volumes"; built only for a refusal (admissions are the hot path). */
  String describe() {
    return volumes == 1 ? "volume " + firstName : "batch of " + volumes + " volumes";
  }

  /** a + b for sizes (never negative), capped at Long.MAX_VALUE instead of wrapping around. */
  static long plus(long a, long b) {
    return b > Long.MAX_VALUE - a ? Long.MAX_VALUE : a + b;
  }
}

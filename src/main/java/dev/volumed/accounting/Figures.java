package dev.volumed.accounting;

/**
 * A pool's space figures for one file-system reading, computed here and nowhere else; the
 * admission rules and the stats both read them.
 *
 * @param capacity C: the configured capacity, else the file system's size, and never more than that
 * @param reserved R = ceil(C × reserved-percent / 100): kept back from every allocation
 * @param usable C − R
 * @param limit usable × max-overcommit-ratio: what the sizes of all volumes may add up to
 * @param filesystemFree the reading's free space less the sizes of fallocate/full reservations
 *     still in flight (their blocks may not be taken yet); may be negative
 * @param availableForFallocate max(0, min(usable − committed, filesystemFree − R, limit − provisioned))
 * @param availableForSparse max(0, limit − provisioned)
 */
public record Figures(
    long capacity,
    long reserved,
    long usable,
    long limit,
    long filesystemFree,
    long availableForFallocate,
    long availableForSparse) {

  static Figures of(PoolLimits pool, Space space, long committed, long provisioned, long inFlightBlocks) {
    long capacity = Math.min(pool.capacity().orElse(space.total()), space.total());
    // Never more than C, even where the double product rounds up.
    long reserved = Math.min(capacity, (long) Math.ceil(capacity * pool.reservedPercent() / 100.0));
    long usable = capacity - reserved;
    double product = usable * pool.maxOvercommitRatio();
    long limit = product >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) product;
    long filesystemFree = space.free() - inFlightBlocks;
    long forSparse = Math.max(0, limit - provisioned);
    long forFallocate = Math.max(0,
        Math.min(usable - committed, Math.min(filesystemFree - reserved, limit - provisioned)));
    return new Figures(capacity, reserved, usable, limit, filesystemFree, forFallocate, forSparse);
  }
}

package dev.volumed.accounting;

import dev.volumed.model.FormatOverhead;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import java.util.Collection;

/**
 * The books of one pool and its admission rules: plain arithmetic on what the pool holds and one
 * file-system reading passed in. Not thread-safe: one owner (the pool's ledger) calls it, one
 * request at a time, and decides which reading to pass.
 *
 * <ul>
 *   <li>{@code committed}: sizes of fallocate/full volumes, in flight included;
 *   <li>{@code provisioned}: sizes of all volumes, in flight included;
 *   <li>{@code allocated}: blocks the published volumes were last measured to use;
 *   <li>{@code inFlightBlocks}: sizes of admitted fallocate/full reservations not yet completed;
 *   <li>{@code inFlightOverhead}: formatting writes of admitted sparse reservations not yet completed.
 * </ul>
 */
public final class Books {
  private final PoolLimits pool;
  private long committed;
  private long provisioned;
  private long allocated;
  private long inFlightBlocks;
  private long inFlightOverhead;

  public Books(PoolLimits pool) {
    this.pool = pool;
  }

  public PoolLimits pool() {
    return pool;
  }

  public Decision decide(VolumeSpec spec, Space space) {
    return decide(Demand.of(spec), space);
  }

  /** An atomic batch: admitted only if the sums of its volumes are, as one request. */
  public Decision decide(Collection<VolumeSpec> specs, Space space) {
    return decide(Demand.of(specs), space);
  }

  /** The rules in order; the first that fails gives the refusal. */
  public Decision decide(Demand demand, Space space) {
    Figures f = figures(space);
    if (demand.blocks() > 0) {
      // Rule 1 (fallocate/full only), physical room: committed + blocks <= usable, ...
      if (demand.blocks() > f.usable() - committed) {
        return new Decision.Refuse(ErrorCode.INSUFFICIENT_SPACE, String.format(
            "%s needs %d bytes allocated on disk but pool %s has only %d of %d usable bytes not yet"
                + " committed; use allocation \"sparse\", a smaller size, or free space",
            demand.describe(), demand.blocks(), pool.name(), Math.max(0, f.usable() - committed),
            f.usable()));
      }
      // ... and blocks <= filesystemFree - R, so the reserve stays free on the file system.
      if (demand.blocks() > f.filesystemFree() - f.reserved()) {
        return new Decision.Refuse(ErrorCode.INSUFFICIENT_SPACE, String.format(
            "%s needs %d bytes allocated on disk but the file system of pool %s has only %d free"
                + " beyond the %d reserved; use allocation \"sparse\", a smaller size, or free space",
            demand.describe(), demand.blocks(), pool.name(),
            Math.max(0, f.filesystemFree() - f.reserved()), f.reserved()));
      }
    }
    // Rule 2 (every allocation), the overcommit limit: provisioned + total <= usable x ratio.
    if (demand.total() > f.limit() - provisioned) {
      return new Decision.Refuse(ErrorCode.OVERCOMMIT_LIMIT, String.format(
          "%s of %d bytes would provision pool %s beyond its limit of %d bytes (%s x %.2f);"
              + " %d bytes can still be provisioned",
          demand.describe(), demand.total(), pool.name(), f.limit(), f.usable(),
          pool.maxOvercommitRatio(), f.availableForSparse()));
    }
    // Rule 3 (sparse only): formatting writes overhead; it must fit in filesystemFree - R beside
    // what the sparse reservations in flight may still write.
    long roomToFormat = f.filesystemFree() - f.reserved() - inFlightOverhead;
    if (demand.overhead() > 0 && demand.overhead() > roomToFormat) {
      return new Decision.Refuse(ErrorCode.INSUFFICIENT_SPACE, String.format(
          "formatting %s writes up to %d bytes but the file system of pool %s has only %d free"
              + " beyond the %d reserved; free space on it first",
          demand.describe(), demand.overhead(), pool.name(), Math.max(0, roomToFormat), f.reserved()));
    }
    return Decision.Admit.INSTANCE;
  }

  /**
   * Rule 1 for a preallocation: its size joins committed ({@code committed + size <= usable}) and
   * the blocks it lacks must be free ({@code need <= filesystemFree - R}). Rule 2 does not apply:
   * nothing new is provisioned.
   */
  public Decision decide(Preallocation p, Space space) {
    Figures f = figures(space);
    if (p.size() > f.usable() - committed) {
      return new Decision.Refuse(ErrorCode.INSUFFICIENT_SPACE, String.format(
          "preallocating volume %s commits its %d bytes but pool %s has only %d of %d usable bytes not yet"
              + " committed; leave it sparse or free space",
          p.name(), p.size(), pool.name(), Math.max(0, f.usable() - committed), f.usable()));
    }
    if (p.need() > f.filesystemFree() - f.reserved()) {
      return new Decision.Refuse(ErrorCode.INSUFFICIENT_SPACE, String.format(
          "preallocating volume %s needs %d more bytes on disk but the file system of pool %s has only %d free"
              + " beyond the %d reserved; leave it sparse or free space",
          p.name(), p.need(), pool.name(), Math.max(0, f.filesystemFree() - f.reserved()), f.reserved()));
    }
    return Decision.Admit.INSTANCE;
  }

  /** An admitted preallocation: committed now, and its missing blocks in flight until it ends. */
  public void reserve(Preallocation p) {
    committed += p.size();
    inFlightBlocks += p.need();
  }

  /** The preallocation is done: the volume stays committed (it is fallocate or full now), its blocks are taken. */
  public void complete(Preallocation p) {
    inFlightBlocks -= p.need();
  }

  /** The preallocation failed: the volume is sparse again in the books. */
  public void release(Preallocation p) {
    committed -= p.size();
    inFlightBlocks -= p.need();
  }

  /** The pool's figures for this reading of its file system. */
  public Figures figures(Space space) {
    return Figures.of(pool, space, committed, provisioned, inFlightBlocks);
  }

  /** An admitted volume is reserved: it joins the books now and is in flight until it ends. */
  public void reserve(VolumeSpec spec) {
    join(spec);
    if (spec.allocation().reservesBlocks()) {
      inFlightBlocks += spec.size();
    } else {
      inFlightOverhead += FormatOverhead.estimate(spec);
    }
  }

  /** The reserved volume was published, using {@code allocatedBytes} on disk: no longer in flight. */
  public void complete(VolumeSpec reserved, long allocatedBytes) {
    land(reserved);
    allocated += allocatedBytes;
  }

  /** The reserved volume failed or was abandoned: it leaves the books. */
  public void release(VolumeSpec reserved) {
    land(reserved);
    leave(reserved);
  }

  /** A volume already on disk (found at start-up, or published under a reservation this ledger never made). */
  public void add(Volume volume) {
    join(volume.spec());
    allocated += volume.allocatedBytes();
  }

  /** A published volume was deleted: it leaves the books. */
  public void remove(Volume volume) {
    leave(volume.spec());
    allocated -= volume.allocatedBytes();
  }

  /** A published volume was measured again. */
  public void remeasured(long allocatedBefore, long allocatedNow) {
    allocated += allocatedNow - allocatedBefore;
  }

  /**
   * An admitted growth of a published volume ({@link Demand#growth}) is in flight: its bytes join
   * provisioned (and committed and the blocks in flight for fallocate/full) until it lands or is
   * given back.
   */
  public void reserveGrowth(VolumeSpec spec, long newSize) {
    Demand growth = Demand.growth(spec, newSize);
    provisioned += growth.total();
    committed += growth.blocks();
    inFlightBlocks += growth.blocks();
  }

  /** The growth landed: its blocks are taken now; the volume's blocks were measured again. */
  public void landGrowth(VolumeSpec spec, long newSize, long allocatedBefore, long allocatedNow) {
    inFlightBlocks -= Demand.growth(spec, newSize).blocks();
    remeasured(allocatedBefore, allocatedNow);
  }

  /** The growth failed: the books are as they were before {@link #reserveGrowth}. */
  public void releaseGrowth(VolumeSpec spec, long newSize) {
    Demand growth = Demand.growth(spec, newSize);
    provisioned -= growth.total();
    committed -= growth.blocks();
    inFlightBlocks -= growth.blocks();
  }

  public long committed() {
    return committed;
  }

  public long provisioned() {
    return provisioned;
  }

  public long allocated() {
    return allocated;
  }

  public long inFlightBlocks() {
    return inFlightBlocks;
  }

  public long inFlightOverhead() {
    return inFlightOverhead;
  }

  private void join(VolumeSpec spec) {
    provisioned += spec.size();
    if (spec.allocation().reservesBlocks()) {
      committed += spec.size();
    }
  }

  private void leave(VolumeSpec spec) {
    provisioned -= spec.size();
    if (spec.allocation().reservesBlocks()) {
      committed -= spec.size();
    }
  }

  /** Leaves the flight: its blocks are taken or will never be, its formatting is written or never will be. */
  private void land(VolumeSpec spec) {
    if (spec.allocation().reservesBlocks()) {
      inFlightBlocks -= spec.size();
    } else {
      inFlightOverhead -= FormatOverhead.estimate(spec);
    }
  }
}

package dev.volumed.actors;

import dev.volumed.accounting.Books;
import dev.volumed.accounting.Decision;
import dev.volumed.accounting.Demand;
import dev.volumed.accounting.Preallocation;
import dev.volumed.accounting.Space;
import dev.volumed.model.ErrorCode;

/**
 * When a ledger reads the file system of its pool, and the last reading it took. Not thread-safe
 * on purpose: one ledger owns it and calls it on its own turn only, so the probe (a statvfs) is
 * never read from two threads.
 */
final class SpaceReadings {
  private final SpaceProbe probe;
  private final Books books;
  /** The last reading; null once blocks came or went, so the next use reads the file system again. */
  private Space last;
  /** The last reading taken, stale or not. */
  private Space taken;

  /** Takes a first reading now. */
  SpaceReadings(SpaceProbe probe, Books books) {
    this.probe = probe;
    this.books = books;
    this.last = probe.read();
  }

  /**
   * The books decide, on a reading chosen here: a request with fallocate/full volumes on a fresh
   * one, always (blocks are promised against it); a sparse one on the last reading, and on a fresh
   * one before it is refused for lack of space (space may be free now).
   */
  Decision decide(Demand demand) {
    if (demand.reservesBlocks()) {
      return books.decide(demand, last = probe.read());
    }
    Decision decision = books.decide(demand, last());
    if (decision instanceof Decision.Refuse refuse && refuse.code() == ErrorCode.INSUFFICIENT_SPACE) {
      decision = books.decide(demand, last = probe.read());
    }
    return decision;
  }

  /** A preallocation takes blocks: decided on a fresh reading, always. */
  Decision decide(Preallocation preallocation) {
    return books.decide(preallocation, last = probe.read());
  }

  /** The last reading, or a fresh one when blocks came or went since. */
  Space last() {
    if (last == null) {
      last = probe.read();
    }
    return last;
  }

  /** Blocks were taken or given back: the next use reads the file system again. */
  void stale() {
    taken = last != null ? last : taken;
    last = null;
  }

  /** The last reading taken, even if blocks came or went since; never reads the file system. */
  Space lastTaken() {
    return last != null ? last : taken;
  }
}

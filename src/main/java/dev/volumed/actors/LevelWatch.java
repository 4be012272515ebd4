package dev.volumed.actors;

import dev.volumed.accounting.Books;
import dev.volumed.accounting.Decision;
import dev.volumed.accounting.Demand;
import dev.volumed.accounting.PoolLevel;
import dev.volumed.accounting.Space;
import dev.volumed.model.Level;
import dev.volumed.model.Watermarks;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * A ledger's view of how full its pool is: the {@link PoolLevel} of its last figures, and each change
 * of level logged once (WARN upward, INFO downward) and published to watchers. Called on the
 * ledger's turn only, with readings the ledger took.
 */
final class LevelWatch {
  private final String pool;
  private final Watermarks watermarks;
  private final PoolEvents events;
  private final Logger log;
  private PoolLevel current;

  /** The level now, logged at WARN if the pool starts above ok. */
  LevelWatch(String pool, Watermarks watermarks, PoolEvents events, Logger log, Books books, Space space) {
    this.pool = pool;
    this.watermarks = watermarks;
    this.events = events;
    this.log = log;
    this.current = of(books, space);
    if (current.level() != Level.OK) {
      log.warn("pool {}: {}", pool, describe(current, "starts at"));
    }
  }

  PoolLevel current() {
    return current;
  }

  /** The level on the books' figures and this reading; a change is logged and published. */
  void update(Books books, Space space) {
    PoolLevel now = of(books, space);
    Level before = current.level();
    current = now;
    if (now.level() == before) {
      return;
    }
    String message = describe(now, now.level().compareTo(before) > 0 ? "rose from " + before.wireName() + " to"
        : "fell from " + before.wireName() + " to");
    if (now.level().compareTo(before) > 0) {
      log.warn("pool {}: {}", pool, message);
    } else {
      log.info("pool {}: {}", pool, message);
    }
    events.level(pool, now, Optional.of(before), message);
  }

  /** The refusal of a request with sparse volumes while the pool is full; empty otherwise. */
  Optional<Decision.Refuse> refusal(Demand demand) {
    return current.refusal(demand, pool, watermarks);
  }

  /** For resize (a later op): at level full every resize is refused, whatever its allocation. */
  Optional<Decision.Refuse> resizeRefusal(String volume) {
    return current.resizeRefusal(volume, pool, watermarks);
  }

  /** "rose from ok to warn: 81.5 % (file system used; allocated 12.0 %), warn-percent 80". */
  String describe(PoolLevel level, String change) {
    String what = level.level() == Level.OK ? "below warn-percent " + Watermarks.percent(watermarks.warnPercent())
        : level.level().wireName() + "-percent " + Watermarks.percent(watermarks.of(level.level()));
    return change + " " + level.level().wireName() + ": file system " + Watermarks.percent(level.filesystemUsedPercent())
        + " % used, volumes allocate " + Watermarks.percent(level.allocatedPercent()) + " % of usable (" + what + ")";
  }

  private PoolLevel of(Books books, Space space) {
    return PoolLevel.of(watermarks, books.allocated(), books.figures(space).usable(), space);
  }
}

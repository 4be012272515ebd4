package dev.volumed.model;

import java.util.Locale;
import java.util.Optional;

/**
 * How full a pool is, against its {@link Watermarks}: {@code OK} below warn, then {@code WARN},
 * {@code CRITICAL}, {@code FULL}. In this order, so a higher level compares greater; the ordinal is
 * also the metric's value (0 ok, 1 warn, 2 critical, 3 full).
 */
public enum Level {
  OK, WARN, CRITICAL, FULL;

  /** "ok", "warn", "critical", "full": as the wire and the logs write it. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Level> fromWire(String text) {
    for (Level level : values()) {
      if (level.wireName().equals(text)) {
        return Optional.of(level);
      }
    }
    return Optional.empty();
  }
}

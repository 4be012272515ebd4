package dev.volumed.model;

/**
 * A pool's watermarks, in percent: the level is the highest one reached. Checked where the settings
 * are read: {@code 0 < warn < critical < full <= 100}.
 */
public record Watermarks(double warnPercent, double criticalPercent, double fullPercent) {
  /** 80 / 90 / 95. */
  public static final Watermarks DEFAULT = new Watermarks(80, 90, 95);

  /** Why these cannot be a pool's watermarks, or null when they can. */
  public static String problem(double warn, double critical, double full) {
    if (!(warn > 0 && warn < critical && critical < full && full <= 100)) {
      return "must be 0 < warn-percent < critical-percent < full-percent <= 100, got " + percent(warn) + " / "
          + percent(critical) + " / " + percent(full);
    }
    return null;
  }

  /** The watermark of a level; 0 for OK (always reached). */
  public double of(Level level) {
    return switch (level) {
      case OK -> 0;
      case WARN -> warnPercent;
      case CRITICAL -> criticalPercent;
      case FULL -> fullPercent;
    };
  }

  /** 80, 92.5: a percent as an operator writes it. */
  public static String percent(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
  }
}

package dev.volumed.cli;

import java.util.Locale;

/** Byte counts for people, in binary units: {@code 512 B}, {@code 4.0 KiB}, {@code 1.5 TiB}. */
final class Sizes {
  private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private Sizes() {}

  static String human(long bytes) {
    if (Math.abs(bytes) < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = -1;
    while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    // 1023.96 KiB would print as "1024.0 KiB": show it as the next unit instead.
    if (Math.abs(Math.round(value * 10) / 10.0) >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
  }
}

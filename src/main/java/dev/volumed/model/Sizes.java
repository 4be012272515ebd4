package dev.volumed.model;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one size grammar of volumed and volumectl: sizes as the protocol writes them
 * ({@code 4096}, {@code "10G"}, {@code "512MiB"}: powers of 1024), and how sizes are shown to people.
 */
public final class Sizes {
  public static final long KIB = 1024L;
  public static final long MIB = KIB * 1024;
  public static final long GIB = MIB * 1024;
  public static final long TIB = GIB * 1024;

  private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})\\s*([A-Za-z]*)");
  private static final String ACCEPTED = "a positive number of bytes, or a string like \"512M\" or \"10GiB\" (units K, M, G, T or KiB, MiB, GiB, TiB)";

  private Sizes() {}

  /**
   * Up to 19 digits, optional blanks, and a unit (case-insensitive): none or B, K or KiB, M or
   * MiB, G or GiB, T or TiB. The message of the exception says what would be accepted.
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("size \"" + text + "\" is not " + ACCEPTED);
    }
    long unit = unit(m.group(2))
        .orElseThrow(() -> new IllegalArgumentException(
            "size \"" + text + "\" has an unknown unit \"" + m.group(2) + "\"; use " + ACCEPTED));
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("size \"" + text + "\" is too large");
    }
  }

  private static Optional<Long> unit(String suffix) {
    return switch (suffix.toUpperCase(Locale.ROOT)) {
      case "", "B" -> Optional.of(1L);
      case "K", "KIB" -> Optional.of(KIB);
      case "M", "MIB" -> Optional.of(MIB);
      case "G", "GIB" -> Optional.of(GIB);
      case "T", "TIB" -> Optional.of(TIB);
      default -> Optional.empty();
    };
  }

  /** Byte counts for people, in binary units with one decimal: {@code 512 B}, {@code 4.0 KiB}, {@code 1.5 TiB}. */
  public static String human(long bytes) {
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (Math.abs(bytes) < KIB) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = -1;
    while (Math.abs(value) >= KIB && unit < units.length - 1) {
      value /= KIB;
      unit++;
    }
    // 1023.96 KiB would print as "1024.0 KiB": show it as the next unit instead.
    if (Math.abs(Math.round(value * 10) / 10.0) >= KIB && unit < units.length - 1) {
      value /= KIB;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  /** {@code 1 KiB}, {@code 64 MiB}: the largest binary unit that states it exactly, else {@code 1000 bytes}. */
  public static String exact(long bytes) {
    String[] units = {"TiB", "GiB", "MiB", "KiB"};
    long[] sizes = {TIB, GIB, MIB, KIB};
    for (int i = 0; i < sizes.length; i++) {
      if (bytes != 0 && bytes % sizes[i] == 0) {
        return bytes / sizes[i] + " " + units[i];
      }
    }
    return bytes + " bytes";
  }
}

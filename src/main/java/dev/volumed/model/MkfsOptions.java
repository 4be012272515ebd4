package dev.volumed.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A client's mkfsArgs as far as the estimate needs them: the values of the options that size what
 * mkfs writes, and the number formats the tools read. MkfsArgsPolicy has passed them, so every value
 * follows its option. Every token equal to the option counts, even one that is another option's
 * value: what follows such a token is an option ("-U -b -O x"), which reads as no number
 * ({@link #UNREADABLE}) or no feature, so a mistaken match can only raise the estimate.
 */
final class MkfsOptions {
  /** A number the tool would reject anyway: the estimate falls back to its worst case. */
  static final long UNREADABLE = -1;

  private final List<String> args;

  MkfsOptions(List<String> args) {
    this.args = List.copyOf(args);
  }

  boolean has(String option) {
    return args.contains(option) || !values(option).isEmpty();
  }

  /** Every value given to option, in order ({@code -O a -O b}: [a, b]; {@code --opt=v} counts for --opt). */
  List<String> values(String option) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (option.startsWith("--") && arg.startsWith(option + "=")) {
        values.add(arg.substring(option.length() + 1));
      } else if (arg.equals(option) && i + 1 < args.size()) {
        values.add(args.get(i + 1));
      }
    }
    return values;
  }

  /** The last value of option, or null. */
  String last(String option) {
    List<String> values = values(option);
    return values.isEmpty() ? null : values.get(values.size() - 1);
  }

  /** The comma-separated items of every value of option ({@code -O ^a,b}: [^a, b]). */
  List<String> items(String option) {
    List<String> items = new ArrayList<>();
    for (String value : values(option)) {
      items.addAll(List.of(value.split(",")));
    }
    return items;
  }

  /** The last {@code key=value} of option's sub-options ({@code -l size=64m}: "64m"), "" for a bare key, or null. */
  String sub(String option, String key) {
    String found = null;
    for (String item : items(option)) {
      if (item.equals(key)) {
        found = "";
      } else if (item.startsWith(key + "=")) {
        found = item.substring(key.length() + 1);
      }
    }
    return found;
  }

  /**
   * A number with an optional suffix: k, m, g, t, p, e (powers of 1024), b (times block), s (times
   * sector), none (times bare). {@link #UNREADABLE} when it is not such a number or overflows.
   */
  static long scaled(String text, long bare, long block, long sector) {
    if (text == null || text.isEmpty()) {
      return UNREADABLE;
    }
    String lower = text.toLowerCase(Locale.ROOT);
    char last = lower.charAt(lower.length() - 1);
    int shift = "kmgtpe".indexOf(last);
    long unit = shift >= 0 ? 1L << (10 * (shift + 1)) : last == 'b' ? block : last == 's' ? sector : bare;
    String digits = Character.isDigit(last) ? lower : lower.substring(0, lower.length() - 1);
    if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit) || digits.length() > 18) {
      return UNREADABLE;
    }
    return times(Long.parseLong(digits), unit);
  }

  /** a * b, saturating at Long.MAX_VALUE (both non-negative). */
  static long times(long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  static long plus(long... terms) {
    long sum = 0;
    for (long t : terms) {
      sum = t >= Long.MAX_VALUE - sum ? Long.MAX_VALUE : sum + t;
    }
    return sum;
  }
}

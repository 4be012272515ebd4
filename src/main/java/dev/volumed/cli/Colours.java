package dev.volumed.cli;

import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A pool's level in colour, for a person at a terminal only: never with --json, never when output
 * is not a terminal, and never when {@code NO_COLOR} is set to anything but empty (no-color.org).
 */
final class Colours {
  private static final String RESET = "\u001b[0m";

  private Colours() {}

  /** Paints level names, or leaves text as it is. */
  static UnaryOperator<String> levels(boolean terminal, boolean json, Map<String, String> env) {
    String noColor = env.get("NO_COLOR");
    boolean on = terminal && !json && (noColor == null || noColor.isEmpty());
    return on ? Colours::level : UnaryOperator.identity();
  }

  /** ok green, warn yellow, critical red, full bold red; anything else as it is. */
  static String level(String text) {
    String code = switch (text) {
      case "ok" -> "\u001b[32m";
      case "warn" -> "\u001b[33m";
      case "critical" -> "\u001b[31m";
      case "full" -> "\u001b[1;31m";
      default -> "";
    };
    return code.isEmpty() ? text : code + text + RESET;
  }
}

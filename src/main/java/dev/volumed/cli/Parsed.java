package dev.volumed.cli;

/** What the command line asked for: help text to show, or an {@link Invocation} to run. */
sealed interface Parsed permits Parsed.ShowHelp, Invocation {

  /** {@code --help} or {@code -h}: print {@code text} to stdout and exit 0. */
  record ShowHelp(String text) implements Parsed {}
}

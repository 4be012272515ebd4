package dev.volumed.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * --socket, --json and --help: volumectl's own and every command's (one instance each, see {@link
 * #addTo}), so they may come before or after the command. They set the values on {@link Cli}: a
 * command's own copy would not know what was given before it, and picocli's inherited options
 * flip a boolean given on both sides ({@code --json list --json}) back to false.
 */
final class GlobalOptions {
  private final Cli cli;
  /** The command these options were added to: usage errors name it. */
  private final CommandLine command;

  @Option(names = {"-h", "--help"}, usageHelp = true, order = 102, description = "show this help")
  boolean help;

  private GlobalOptions(Cli cli, CommandLine command) {
    this.cli = cli;
    this.command = command;
  }

  /** Adds the global options to {@code line}'s command and to each of its commands. */
  static void addTo(CommandLine line, Cli cli) {
    line.addMixin("global", new GlobalOptions(cli, line));
    line.getSubcommands().values().forEach(command -> addTo(command, cli));
  }

  @Option(names = "--socket", paramLabel = "PATH", order = 101,
      description = "volumed's socket (default: $VOLUMED_SOCKET, else " + VolumeCtl.DEFAULT_SOCKET + ")")
  void socket(String path) {
    cli.socket(path, command);
  }

  @Option(names = "--json", arity = "0", order = 100, description = "print volumed's result (or error) as JSON")
  void json(boolean given) {
    if (given) {
      cli.jsonGiven();
    }
  }
}

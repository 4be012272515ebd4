package dev.volumed.cli;

import java.util.Optional;

/** The help texts of volumectl, built from {@link Command} and {@link Option}. */
final class Usage {
  static final String GLOBAL = "volumectl [--socket PATH] [--json]";

  private Usage() {}

  static String top() {
    StringBuilder s = new StringBuilder();
    s.append("usage: ").append(GLOBAL).append(" COMMAND [ARGS]\n\n");
    s.append("Talks to volumed, the disk-image daemon, over its Unix domain socket.\n\n");
    s.append("commands:\n");
    for (Command c : Command.values()) {
      String head = c.word() + (c.takesName() ? " NAME" : "");
      s.append(String.format("  %-14s %s%n", head, c.summary()));
    }
    s.append("\noptions:\n");
    s.append("  --socket PATH  volumed's socket (default: $VOLUMED_SOCKET, else ")
        .append(VolumeCtl.DEFAULT_SOCKET)
        .append(")\n");
    s.append("  --json         print volumed's result (or error) as JSON\n");
    s.append("  -h, --help     show this help; 'volumectl COMMAND --help' for one command\n");
    s.append("\nexit codes: 0 done, 1 refused by volumed, 2 usage error, 3 cannot reach volumed\n");
    return s.toString();
  }

  static String of(Command command) {
    StringBuilder s = new StringBuilder();
    s.append("usage: ").append(GLOBAL).append(' ').append(command.synopsis()).append("\n\n");
    String summary = command.summary();
    s.append(Character.toUpperCase(summary.charAt(0))).append(summary.substring(1)).append(".\n");
    if (command.takesName() || !command.options().isEmpty()) {
      s.append('\n');
    }
    if (command.takesName()) {
      s.append(String.format("  %-18s %s%n", "NAME", "the volume's path inside its pool, e.g. vm1/var.img"));
    }
    for (Option o : command.options()) {
      s.append(String.format("  %-18s %s%n", o.flag() + " " + o.valueName(), o.description()));
    }
    return s.toString();
  }

  /** The short hint printed to stderr after a usage error. */
  static String hint(Optional<Command> command) {
    return command
        .map(c -> "usage: " + GLOBAL + " " + c.synopsis() + "\nTry 'volumectl " + c.word() + " --help'.\n")
        .orElse("usage: " + GLOBAL + " COMMAND [ARGS]\nTry 'volumectl --help'.\n");
  }
}

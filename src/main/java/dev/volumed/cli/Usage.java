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
      String head = c.word() + (c.takesName() ? " " + c.operand() : "");
      s.append(String.format("  %-20s %s%n", head, c.summary()));
    }
    s.append("\noptions:\n");
    s.append("  --socket PATH        volumed's socket (default: $VOLUMED_SOCKET, else ")
        .append(VolumeCtl.DEFAULT_SOCKET)
        .append(")\n");
    s.append("  --json               print volumed's result (or error) as JSON\n");
    s.append("  -h, --help           show this help; 'volumectl COMMAND --help' for one command\n");
    s.append("\nexit codes: 0 done, 1 refused by volumed (or a volume of a batch failed), 2 usage error,\n"
        + "            3 cannot reach volumed\n");
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
      String what = command.operand().equals("NAME")
          ? "the volume's path inside its pool, e.g. vm1/var.img"
          : "a JSON file, or - for stdin";
      s.append(String.format("  %-18s %s%n", command.operand(), what));
    }
    for (Option o : command.options()) {
      s.append(String.format("  %-18s %s%n", o.synopsis(), o.description()));
    }
    s.append(command.details());
    return s.toString();
  }

  /** The short hint printed to stderr after a usage error. */
  static String hint(Optional<Command> command) {
    return command
        .map(c -> "usage: " + GLOBAL + " " + c.synopsis() + "\nTry 'volumectl " + c.word() + " --help'.\n")
        .orElse("usage: " + GLOBAL + " COMMAND [ARGS]\nTry 'volumectl --help'.\n");
  }
}

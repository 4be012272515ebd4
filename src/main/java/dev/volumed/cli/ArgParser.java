package dev.volumed.cli;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses {@code volumectl [--socket PATH] [--json] COMMAND [ARGS]}.
 *
 * <p>Options take their value as the next argument or after {@code =} ({@code --size=10G}). The
 * global options are also accepted after the command. {@code -h}/{@code --help} wins over any
 * missing argument that follows it.
 */
final class ArgParser {
  private ArgParser() {}

  static Parsed parse(String... args) throws UsageException {
    Optional<String> socket = Optional.empty();
    boolean json = false;
    Command command = null;
    String name = null;
    Map<Option, List<String>> options = new EnumMap<>(Option.class);

    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      Optional<Command> known = Optional.ofNullable(command);
      if (arg.equals("-h") || arg.equals("--help")) {
        return new Parsed.ShowHelp(command == null ? Usage.top() : Usage.of(command));
      }
      if (arg.startsWith("-") && arg.length() > 1) {
        int eq = arg.indexOf('=');
        String flag = eq < 0 ? arg : arg.substring(0, eq);
        String inline = eq < 0 ? null : arg.substring(eq + 1);
        if (flag.equals("--json")) {
          if (inline != null) {
            throw new UsageException("--json takes no value", known);
          }
          json = true;
          continue;
        }
        if (flag.equals("--socket")) {
          if (socket.isPresent()) {
            throw new UsageException("--socket given twice", known);
          }
          String value = inline != null ? inline : next(args, i++, flag, false, known);
          if (value.isEmpty()) {
            throw new UsageException("--socket needs a non-empty PATH", known);
          }
          socket = Optional.of(value);
          continue;
        }
        if (command == null) {
          throw new UsageException("unknown option '" + flag + "'", known);
        }
        Command c = command;
        Option option =
            Option.byFlag(flag)
                .filter(c::accepts)
                .orElseThrow(() -> new UsageException("unknown option '" + flag + "' for " + c.word(), known));
        List<String> values = options.computeIfAbsent(option, o -> new ArrayList<>());
        if (!values.isEmpty() && !option.repeatable()) {
          throw new UsageException(flag + " given twice", known);
        }
        if (option.isSwitch()) {
          if (inline != null) {
            throw new UsageException(flag + " takes no value", known);
          }
          values.add("true");
          continue;
        }
        values.add(inline != null ? inline : next(args, i++, flag, option.repeatable(), known));
        continue;
      }
      if (command == null) {
        command =
            Command.byWord(arg).orElseThrow(() -> new UsageException("unknown command '" + arg + "'", known));
      } else if (command.takesName() && name == null) {
        name = arg;
      } else {
        throw new UsageException("unexpected argument '" + arg + "' for " + command.word(), known);
      }
    }

    if (command == null) {
      throw new UsageException("no command given", Optional.empty());
    }
    Optional<Command> known = Optional.of(command);
    if (command.takesName() && (name == null || name.isEmpty())) {
      throw new UsageException(command.word() + " needs a " + command.operand(), known);
    }
    for (Option o : command.options()) {
      if (command.requires(o) && !options.containsKey(o)) {
        throw new UsageException(command.word() + " needs " + o.flag() + " " + o.valueName(), known);
      }
    }
    Optional<String> allocation =
        Optional.ofNullable(options.get(Option.ALLOCATION)).map(v -> v.get(0));
    if (allocation.isPresent() && !Option.ALLOCATIONS.contains(allocation.get())) {
      throw new UsageException(
          "--allocation must be one of " + String.join(", ", Option.ALLOCATIONS) + ", not '"
              + allocation.get() + "'",
          known);
    }
    return new Invocation(socket, json, command, Optional.ofNullable(name), options);
  }

  /**
   * The argument after {@code args[at]}, the value of {@code flag}. A following {@code --option} is
   * taken as a forgotten value, except for {@code --mkfs-arg}, whose values may look like options.
   */
  private static String next(String[] args, int at, String flag, boolean anything, Optional<Command> known)
      throws UsageException {
    if (at + 1 >= args.length || (!anything && args[at + 1].startsWith("--"))) {
      throw new UsageException(flag + " needs a value", known);
    }
    return args[at + 1];
  }
}

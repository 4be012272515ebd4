package dev.volumed.cli;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed, valid command line: the global options, the command, its operand (NAME for create,
 * get and delete; FILE for batch and import-microvm) and the values of its options. A switch
 * that was given holds one value, {@code "true"}.
 */
record Invocation(
    Optional<String> socket,
    boolean json,
    Command command,
    Optional<String> name,
    Map<Option, List<String>> options)
    implements Parsed {

  Invocation {
    Map<Option, List<String>> copy = new EnumMap<>(Option.class);
    options.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    options = Map.copyOf(copy);
  }

  /** The value of a single-valued option, if it was given. */
  Optional<String> option(Option option) {
    return options.getOrDefault(option, List.of()).stream().findFirst();
  }

  /** Whether a switch such as {@code --dry-run} was given. */
  boolean has(Option option) {
    return options.containsKey(option);
  }

  /** Every value of an option, in the order given. */
  List<String> all(Option option) {
    return options.getOrDefault(option, List.of());
  }
}

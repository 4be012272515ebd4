package dev.volumed.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The commands of volumectl: their name, positional argument, options, and help text. */
enum Command {
  PING("ping", false, Set.of(), Set.of(), "check that volumed answers, and show its version"),
  POOLS("pools", false, Set.of(), Set.of(), "show the pools and their space accounting"),
  CREATE(
      "create",
      true,
      Set.of(Option.SIZE, Option.POOL, Option.FS, Option.LABEL, Option.ALLOCATION, Option.MKFS_ARG),
      Set.of(Option.SIZE),
      "create a volume: a disk image at <pool path>/NAME, formatted with FS"),
  GET("get", true, Set.of(Option.POOL), Set.of(), "show one volume"),
  LIST("list", false, Set.of(Option.POOL), Set.of(), "list the volumes of one pool, or of all pools"),
  DELETE("delete", true, Set.of(Option.POOL), Set.of(), "delete a volume and its image");

  private final String word;
  private final boolean takesName;
  private final Set<Option> options;
  private final Set<Option> required;
  private final String summary;

  Command(String word, boolean takesName, Set<Option> options, Set<Option> required, String summary) {
    this.word = word;
    this.takesName = takesName;
    this.options = options;
    this.required = required;
    this.summary = summary;
  }

  String word() {
    return word;
  }

  boolean takesName() {
    return takesName;
  }

  boolean accepts(Option option) {
    return options.contains(option);
  }

  boolean requires(Option option) {
    return required.contains(option);
  }

  String summary() {
    return summary;
  }

  /** The options in declaration order, so help text is stable. */
  List<Option> options() {
    return Arrays.stream(Option.values()).filter(options::contains).toList();
  }

  static Optional<Command> byWord(String word) {
    return Arrays.stream(values()).filter(c -> c.word.equals(word)).findFirst();
  }

  /** {@code create NAME --size SIZE [--pool P] ...}: the synopsis without the global options. */
  String synopsis() {
    StringBuilder s = new StringBuilder(word);
    if (takesName) {
      s.append(" NAME");
    }
    for (Option o : options()) {
      String part = o.flag() + " " + o.valueName();
      if (o == Option.ALLOCATION) {
        part = o.flag() + " " + String.join("|", Option.ALLOCATIONS);
      }
      if (requires(o)) {
        s.append(' ').append(part);
      } else {
        s.append(" [").append(part).append(']');
      }
      if (o.repeatable()) {
        s.append("...");
      }
    }
    return s.toString();
  }
}

package dev.volumed.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The commands of volumectl: their name, operand, options, and help text. */
enum Command {
  PING("ping", null, Set.of(), Set.of(), "check that volumed answers, and show its version", ""),
  POOLS("pools", null, Set.of(), Set.of(), "show the pools and their space accounting", ""),
  CREATE(
      "create",
      "NAME",
      Set.of(Option.SIZE, Option.POOL, Option.FS, Option.LABEL, Option.ALLOCATION, Option.MKFS_ARG),
      Set.of(Option.SIZE),
      "create a volume: a disk image at <pool path>/NAME, formatted with FS",
      ""),
  BATCH(
      "batch",
      "FILE",
      Set.of(Option.POOL, Option.NO_ATOMIC),
      Set.of(),
      "create the volumes a JSON file lists, all or nothing, with progress",
      HelpText.BATCH),
  IMPORT_MICROVM(
      "import-microvm",
      "FILE",
      Set.of(Option.PREFIX, Option.POOL, Option.NO_ATOMIC, Option.DRY_RUN),
      Set.of(),
      "create the autoCreate volumes of a microvm.nix guest, from nix eval --json",
      HelpText.IMPORT_MICROVM),
  GET("get", "NAME", Set.of(Option.POOL), Set.of(), "show one volume", ""),
  LIST("list", null, Set.of(Option.POOL), Set.of(), "list the volumes of one pool, or of all pools", ""),
  DELETE("delete", "NAME", Set.of(Option.POOL), Set.of(), "delete a volume and its image", "");

  private final String word;
  private final String operand;
  private final Set<Option> options;
  private final Set<Option> required;
  private final String summary;
  private final String details;

  Command(String word, String operand, Set<Option> options, Set<Option> required, String summary, String details) {
    this.word = word;
    this.operand = operand;
    this.options = options;
    this.required = required;
    this.summary = summary;
    this.details = details;
  }

  String word() {
    return word;
  }

  /** Whether the command takes its one positional argument (NAME or FILE). */
  boolean takesName() {
    return operand != null;
  }

  /** {@code NAME} or {@code FILE}; only for commands that {@link #takesName()}. */
  String operand() {
    return operand;
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

  /** More help after the options, ending in a newline; empty for most commands. */
  String details() {
    return details;
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
    if (takesName()) {
      s.append(' ').append(operand);
    }
    for (Option o : options()) {
      String part = o.synopsis();
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

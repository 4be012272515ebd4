package dev.volumed.cli;

import java.util.Optional;

/** A command line volumectl cannot run: exit code 2, with a short hint on stderr. */
final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Optional<Command> command;

  UsageException(String message, Optional<Command> command) {
    super(message);
    this.command = command;
  }

  /** The command the hint should be about, if the command was known. */
  Optional<Command> command() {
    return command;
  }
}

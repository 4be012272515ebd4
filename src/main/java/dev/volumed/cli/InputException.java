package dev.volumed.cli;

/**
 * The FILE of batch or import-microvm cannot be used: missing, unreadable, not JSON, or not the
 * shape the command reads. Exit code 2, like a usage error. The message names the file and what
 * was wrong.
 */
final class InputException extends Exception {
  private static final long serialVersionUID = 1L;

  InputException(String message) {
    super(message);
  }

  InputException(String message, Throwable cause) {
    super(message, cause);
  }
}

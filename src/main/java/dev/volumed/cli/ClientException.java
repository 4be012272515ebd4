package dev.volumed.cli;

/**
 * The conversation with volumed could not be had: no socket, nobody listening, or the connection
 * broke before the reply. Exit code 3. The message is complete and ready for stderr.
 */
final class ClientException extends Exception {
  private static final long serialVersionUID = 1L;

  ClientException(String message) {
    super(message);
  }

  ClientException(String message, Throwable cause) {
    super(message, cause);
  }
}

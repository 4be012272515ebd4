package dev.volumed.model;

import java.util.Map;

/**
 * A failure a client can be told about: a code of the protocol and a message a person can act on.
 * Thrown by the blocking disk operations and turned into an error reply by whoever asked.
 */
public final class VolumeException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final Map<String, Object> details;

  public VolumeException(ErrorCode code, String message) {
    this(code, message, Map.of(), null);
  }

  public VolumeException(ErrorCode code, String message, Throwable cause) {
    this(code, message, Map.of(), cause);
  }

  public VolumeException(ErrorCode code, String message, Map<String, Object> details, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.details = Map.copyOf(details);
  }

  public ErrorCode code() {
    return code;
  }

  public Map<String, Object> details() {
    return details;
  }
}

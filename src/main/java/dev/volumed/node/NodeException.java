package dev.volumed.node;

/**
 * Why the host work on a volume was refused or failed, in the terms CSI answers in: the caller
 * maps each kind to its status once.
 */
public final class NodeException extends Exception {
  private static final long serialVersionUID = 1L;

  public enum Kind {
    /** The request cannot be served as asked (a path that is not a folder, a file system that does not match). */
    INVALID,
    /** Nothing volumed made is at that path for that volume. */
    NOT_FOUND,
    /** The path is already used for this volume in another way, or for another volume. */
    CONFLICT,
    /** The volume is not in the state the call needs (not staged, still published). */
    PRECONDITION,
    /** A host tool failed or the host could not be read. */
    FAILED
  }

  private final Kind kind;

  public NodeException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public NodeException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}

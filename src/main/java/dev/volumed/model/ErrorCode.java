package dev.volumed.model;

/** The error codes of wire protocol v1: every failure a client sees carries one, with a message. */
public enum ErrorCode {
  BAD_REQUEST,
  UNKNOWN_OP,
  INVALID_NAME,
  UNKNOWN_POOL,
  NOT_FOUND,
  ALREADY_EXISTS,
  BUSY,
  INSUFFICIENT_SPACE,
  OVERCOMMIT_LIMIT,
  UNSUPPORTED,
  FORMAT_FAILED,
  IO_ERROR,
  PERMISSION_DENIED,
  FRAME_TOO_LARGE,
  OVERLOADED,
  SHUTTING_DOWN,
  INTERNAL
}

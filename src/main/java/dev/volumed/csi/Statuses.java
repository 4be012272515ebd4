package dev.volumed.csi;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.node.NodeException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * volumed's error codes as CSI's gRPC status codes, decided here once for every service. The
 * message stays volumed's own sentence, so the CO's events say what the socket's clients would read.
 */
public final class Statuses {
  private Statuses() {}

  /** The gRPC code CSI expects for a volumed refusal. */
  public static Status.Code of(ErrorCode code) {
    return switch (code) {
      case BAD_REQUEST, INVALID_NAME, UNKNOWN_POOL, FRAME_TOO_LARGE, UNKNOWN_OP -> Status.Code.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      // The image is held open (staged, published, in a VM) or being changed: the CO must undo that first.
      case BUSY -> Status.Code.FAILED_PRECONDITION;
      case INSUFFICIENT_SPACE, OVERCOMMIT_LIMIT -> Status.Code.RESOURCE_EXHAUSTED;
      case UNSUPPORTED -> Status.Code.INVALID_ARGUMENT;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      // Worth retrying later: the CO backs off and asks again.
      case OVERLOADED, SHUTTING_DOWN -> Status.Code.UNAVAILABLE;
      case FORMAT_FAILED, IO_ERROR, INTERNAL -> Status.Code.INTERNAL;
    };
  }

  /** A refusal as the status a call fails with. */
  public static StatusRuntimeException of(ErrorCode code, String message) {
    return Status.fromCode(of(code)).withDescription(code + ": " + message).asRuntimeException();
  }

  /** The host work of a node call, refused or failed, as CSI's node calls answer it. */
  public static StatusRuntimeException of(NodeException e) {
    Status status = switch (e.kind()) {
      case INVALID -> Status.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.NOT_FOUND;
      // CSI: "already published (staged) at that path, but incompatible".
      case CONFLICT -> Status.ALREADY_EXISTS;
      case PRECONDITION -> Status.FAILED_PRECONDITION;
      case FAILED -> Status.INTERNAL;
    };
    return status.withDescription(e.getMessage()).asRuntimeException();
  }

  public static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  /**
   * Whatever a call's stage failed with, as a status: a refusal by its code, an ask that timed out as
   * DEADLINE_EXCEEDED (the work may still finish; the CO retries), anything else as INTERNAL.
   */
  public static StatusRuntimeException of(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof StatusRuntimeException status) {
      return status;
    }
    if (cause instanceof NodeException node) {
      return of(node);
    }
    if (cause instanceof VolumeException refused) {
      return of(refused.code(), refused.getMessage());
    }
    if (cause instanceof TimeoutException) {
      return Status.DEADLINE_EXCEEDED.withDescription("volumed did not answer in time: " + cause.getMessage())
          .asRuntimeException();
    }
    return Status.INTERNAL.withDescription(String.valueOf(cause)).withCause(cause).asRuntimeException();
  }
}

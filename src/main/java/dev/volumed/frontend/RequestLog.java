package dev.volumed.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front end's log lines about requests: id, op, outcome and duration. Whatever in them came
 * from a client (the id, the op, a message that quotes its input) goes through {@link #clip}, so
 * one request writes a bounded number of bytes of log and cannot start a line of its own.
 */
final class RequestLog {
  /** Characters kept of an id or an op in a log line. */
  static final int MAX_CHARS = 96;
  /** Characters kept of an error message (which may quote what the client sent). */
  static final int MAX_MESSAGE_CHARS = 400;
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);

  private RequestLog() {}

  static String clip(Object value) {
    return clip(value, MAX_CHARS);
  }

  /**
   * The value as text, control characters escaped, cut after {@code max} characters with an
   * ellipsis and the original length. Reads no further than it keeps.
   */
  static String clip(Object value, int max) {
    String text = String.valueOf(value);
    StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 24);
    int i = 0;
    for (; i < text.length() && out.length() < max; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (i < text.length()) {
      out.append("…(").append(text.length()).append(" chars)");
    }
    return out.toString();
  }

  /** A request answered with an error before any work started. */
  static void refused(JsonNode id, String op, VolumeException e) {
    log.info("request id={} op={} outcome={} ({})", clip(id), op == null ? "?" : clip(op), e.code(),
        clip(e.getMessage(), MAX_MESSAGE_CHARS));
  }

  static void shuttingDown(JsonNode id, String op) {
    log.info("request id={} op={} outcome=SHUTTING_DOWN", clip(id), clip(op));
  }

  /** A watch began; it has no reply until shutdown, so it is logged when it starts. */
  static void watching(JsonNode id) {
    log.info("request id={} op=watch outcome=watching", clip(id));
  }

  static void answered(JsonNode id, String op, long millis) {
    log.info("request id={} op={} outcome=ok duration={}ms", clip(id), clip(op), millis);
  }

  static void failed(JsonNode id, String op, VolumeException e, long millis) {
    log.info("request id={} op={} outcome={} duration={}ms: {}", clip(id), clip(op), e.code(), millis,
        clip(e.getMessage(), MAX_MESSAGE_CHARS));
  }

  static void batchFinished(JsonNode id, ErrorCode error, int volumes, int created, int failed, long millis) {
    log.info("request id={} op=batch outcome={} volumes={} created={} failed={} duration={}ms", clip(id),
        error == null ? "ok" : error, volumes, created, failed, millis);
  }

  static void unexpected(String op, Throwable cause) {
    log.error("op {} failed unexpectedly", clip(op), cause);
  }
}

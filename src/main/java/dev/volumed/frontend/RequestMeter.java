package dev.volumed.frontend;

import dev.volumed.metrics.VolumedMetrics;
import dev.volumed.model.ErrorCode;
import dev.volumed.protocol.Op;

/**
 * Counts each answered request for the metrics by op and outcome ({@code OK} or the error code),
 * and times the ones the front end took on from their line to their reply. The op label is an op
 * the protocol knows or {@code unknown}: what a client writes must not make new series.
 */
final class RequestMeter {
  static final String OK = "OK";
  static final String UNKNOWN = "unknown";

  private final VolumedMetrics metrics;

  RequestMeter(VolumedMetrics metrics) {
    this.metrics = metrics;
  }

  /** Answered; started: System.nanoTime() when its line came in. */
  void answered(String op, ErrorCode error, long started) {
    metrics.request(label(op), error == null ? OK : error.name(), System.nanoTime() - started);
  }

  /** Refused without being taken on (over the in-flight bound, a line too long): counted, not timed. */
  void turnedAway(String op, ErrorCode error) {
    metrics.turnedAway(label(op), error.name());
  }

  static String label(String op) {
    return op == null ? UNKNOWN : Op.fromWire(op).map(Op::wireName).orElse(UNKNOWN);
  }
}

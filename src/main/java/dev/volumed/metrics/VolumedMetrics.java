package dev.volumed.metrics;

import dev.volumed.model.FileSystemType;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Everything one daemon measures, in its own registry: the pools' books (from the snapshots their
 * ledgers hand over), requests by op and outcome, mkfs durations by file system, and the JVM's
 * standard metrics. Thread-safe and never blocking: recording is a counter or bucket increment,
 * publishing a snapshot one map write.
 */
public final class VolumedMetrics {
  /** Seconds: a ping takes microseconds, a create with a full allocation of a large image minutes. */
  private static final double[] REQUEST_BUCKETS = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
      300, 1800};
  /** Seconds: mkfs of a small image takes tens of milliseconds, of a multi-terabyte one minutes. */
  private static final double[] FORMAT_BUCKETS = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Map<String, PoolSnapshot> pools = new ConcurrentHashMap<>();
  private final List<Runnable> onRefresh = new CopyOnWriteArrayList<>();
  private final boolean perVolume;
  private final Counter requests;
  private final Histogram requestSeconds;
  private final Histogram formatSeconds;

  /** perVolume: also the two series per volume (off for hosts with many thousands of volumes). */
  public VolumedMetrics(boolean perVolume) {
    this.perVolume = perVolume;
    PoolGauges.register(registry, pools::values, perVolume);
    requests = Counter.builder().name("volumed_requests")
        .help("requests answered, by op and outcome: OK or the error code; an op volumed does not know is \"unknown\"")
        .labelNames("op", "code").register(registry);
    requestSeconds = Histogram.builder().name("volumed_request_duration_seconds")
        .help("time from a request's line to its reply, by op").labelNames("op")
        .classicOnly().classicUpperBounds(REQUEST_BUCKETS).register(registry);
    formatSeconds = Histogram.builder().name("volumed_format_duration_seconds")
        .help("time mkfs took to format an image, by file system (successful runs)").labelNames("fs")
        .classicOnly().classicUpperBounds(FORMAT_BUCKETS).register(registry);
    JvmMetrics.builder().register(registry);
  }

  /** Whether snapshots should carry each volume's figures. */
  public boolean perVolume() {
    return perVolume;
  }

  /** The pool's books now; replaces what it published before. */
  public void publish(PoolSnapshot snapshot) {
    pools.put(snapshot.pool(), snapshot);
  }

  /** The pool's books after a refresh (its file system and images read again): published, and the listeners told. */
  public void refreshed(PoolSnapshot snapshot) {
    publish(snapshot);
    onRefresh.forEach(Runnable::run);
  }

  /** Runs after each pool's refresh, on the ledger's turn: it must not block. */
  void onRefresh(Runnable listener) {
    onRefresh.add(listener);
  }

  /**
   * One request answered. op must be a name from a closed set (the protocol's ops, or "unknown"):
   * a label value a client could choose would let it make series without end.
   */
  public void request(String op, String code, long nanos) {
    requests.labelValues(op, code).inc();
    requestSeconds.labelValues(op).observe(nanos / 1e9);
  }

  /** One request answered without being taken on (no work, so not timed): counted only. */
  public void turnedAway(String op, String code) {
    requests.labelValues(op, code).inc();
  }

  /** One successful mkfs run. */
  public void formatted(FileSystemType fs, long nanos) {
    formatSeconds.labelValues(fs.wireName()).observe(nanos / 1e9);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Every metric in the Prometheus text format (version 0.0.4), as GET /metrics serves it. */
  public byte[] text() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    return out.toByteArray();
  }

  /** {@link #text()} as a string. */
  public String textString() {
    return new String(text(), StandardCharsets.UTF_8);
  }
}

package dev.volumed.metrics;

import dev.volumed.settings.MetricsSettings;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the metrics go, as the settings say: GET /metrics on the listen address (the HTTP server
 * runs on threads of its own, never an actor's), and the text file written again after each
 * refresh, on one thread of its own. {@link #close} stops both.
 */
public final class MetricsExport implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsExport.class);

  private final VolumedMetrics metrics;
  private final Optional<HTTPServer> server;
  private final Optional<Path> textfile;
  private final ExecutorService writer;
  /** A write is queued and has not started: refreshes of several pools meanwhile need only that one. */
  private final AtomicBoolean queued = new AtomicBoolean();

  private MetricsExport(VolumedMetrics metrics, Optional<HTTPServer> server, Optional<Path> textfile) {
    this.metrics = metrics;
    this.server = server;
    this.textfile = textfile;
    this.writer = Executors.newSingleThreadExecutor(task -> {
      Thread thread = new Thread(task, "volumed-metrics-textfile");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Starts what the settings ask for; an address that cannot be bound throws. */
  public static MetricsExport start(VolumedMetrics metrics, MetricsSettings settings) throws IOException {
    Optional<HTTPServer> server = Optional.empty();
    if (settings.listen().isPresent()) {
      InetSocketAddress address = settings.listen().get();
      server = Optional.of(HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
          .registry(metrics.registry()).buildAndStart());
      log.info("serving metrics on http://{}:{}/metrics", address.getAddress().getHostAddress(), address.getPort());
    }
    MetricsExport export = new MetricsExport(metrics, server, settings.textfile());
    settings.textfile().ifPresent(file -> metrics.onRefresh(export::writeSoon));
    return export;
  }

  /** The text file is written again soon, on the writer's thread; the caller (a ledger) never waits. */
  private void writeSoon() {
    if (!queued.compareAndSet(false, true)) {
      return;
    }
    try {
      writer.execute(() -> {
        queued.set(false);
        Path file = textfile.orElseThrow();
        try {
          Textfile.write(file, metrics.text());
        } catch (IOException | RuntimeException e) {
          log.warn("cannot write the metrics to {} (volumed.metrics.textfile): {}", file, e.toString());
        }
      });
    } catch (RejectedExecutionException closed) {
      // shutting down: the last text written stays
    }
  }

  @Override
  public void close() {
    server.ifPresent(HTTPServer::close);
    writer.shutdown();
    try {
      writer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.volumed;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.javadsl.ActorContext;
import dev.volumed.actors.Meters;
import dev.volumed.disk.Formatter;
import dev.volumed.metrics.MetricsExport;
import dev.volumed.metrics.VolumedMetrics;
import dev.volumed.settings.MetricsSettings;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** Wires the metrics: mkfs runs timed, the export started, and stopped when the system shuts down. */
final class Metrics {
  private Metrics() {}

  /** False when the listen address cannot be bound (logged): volumed cannot serve what was asked. */
  static boolean start(ActorContext<?> context, MetricsSettings settings, Formatter formatter) {
    VolumedMetrics metrics = Meters.of(context.getSystem());
    formatter.timeEachFormat(metrics::formatted);
    MetricsExport export;
    try {
      export = MetricsExport.start(metrics, settings);
    } catch (IOException e) {
      context.getLog().error("volumed.metrics.listen = {}: cannot listen there ({}); free that address or choose"
          + " another", settings.listen().map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).orElse("?"),
          e.toString());
      return false;
    }
    CoordinatedShutdown.get(context.getSystem()).addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-metrics",
        () -> {
          export.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    return true;
  }
}

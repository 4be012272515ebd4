package dev.volumed.actors;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import com.typesafe.config.Config;
import dev.volumed.metrics.VolumedMetrics;

/**
 * The metrics of one actor system, reached by every part that records (ledgers, the front end,
 * the wiring) as an Akka extension: a cross-cutting registry that is not passed through every
 * factory, and still one per daemon, so two daemons in one JVM (tests) keep separate counts.
 */
public final class Meters implements Extension {
  private static final ExtensionId<Meters> ID = new ExtensionId<>() {
    @Override
    public Meters createExtension(ActorSystem<?> system) {
      return new Meters(new VolumedMetrics(perVolume(system.settings().config())));
    }
  };

  private final VolumedMetrics metrics;

  private Meters(VolumedMetrics metrics) {
    this.metrics = metrics;
  }

  public static VolumedMetrics of(ActorSystem<?> system) {
    return ID.apply(system).metrics;
  }

  /** Settings.load has checked the key; a system configured without volumed's section (tests) gets the default. */
  private static boolean perVolume(Config config) {
    String key = "volumed.metrics.per-volume";
    return !config.hasPath(key) || config.getBoolean(key);
  }
}

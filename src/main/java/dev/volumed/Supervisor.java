package dev.volumed;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.Terminated;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolEvents;
import dev.volumed.actors.PoolManager;
import dev.volumed.actors.SpaceProbe;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolStore;
import dev.volumed.disk.Preallocator;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.frontend.FrontEnd;
import dev.volumed.settings.PoolSettings;
import dev.volumed.settings.Settings;
import dev.volumed.systemd.Notifier;
import dev.volumed.systemd.Readiness;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.LoggerFactory;

/**
 * The guardian: it only wires. It spawns one pool manager per pool and the socket front end, each
 * under the supervision chosen here, and nothing sends it requests.
 */
public final class Supervisor {

  /** Nothing is sent to the guardian; it only watches the front end. */
  public interface Command {}

  private Supervisor() {}

  /**
   * @param handed the listening socket systemd handed over, else empty (the front end binds its own)
   * @param notifier tells systemd when volumed is ready and when it stops (sends nothing outside systemd)
   */
  public static Behavior<Command> create(Settings settings, Formatter formatter, Optional<ServerSocketChannel> handed,
      Notifier notifier) {
    return Behaviors.setup(context -> {
      if (!Metrics.start(context, settings.metrics(), formatter)) {
        return Behaviors.stopped();
      }
      Map<String, ActorRef<PoolManager.Command>> managers = new LinkedHashMap<>();
      // One publisher for the daemon: the ledgers publish to it, the front end's watches subscribe.
      PoolEvents events = PoolEvents.start(context.getSystem());
      List<PoolStore> stores = new ArrayList<>();
      for (PoolSettings pool : settings.pools()) {
        PoolStore store = new PoolStore(pool.name(), pool.path(), formatter);
        stores.add(store);
        OptionalLong pace = settings.io().maxWriteBytesPerSecond();
        PoolManager.Pool parts = new PoolManager.Pool(pool, store, new VolumeBuilder(pool, store, formatter, pace),
            SpaceProbe.of(pool.path()), new Preallocator(pool.name(), store, pace));
        // Resumed, never restarted: a manager holds nothing worth rebuilding, and a restart would stop
        // its ledger and every worker in flight.
        managers.put(pool.name(), context.spawn(
            Behaviors.supervise(PoolManager.create(parts, settings.accounting().refreshInterval(),
                    settings.format().effectiveParallelism(), settings.socket().requestTimeout(), events))
                .onFailure(SupervisorStrategy.resume()),
            "pool-" + pool.name()));
      }
      if (!Csi.start(context, settings, Map.copyOf(managers))) {
        return Behaviors.stopped();
      }
      rollBackOnShutdown(context, formatter, stores, settings.shutdown().grace());
      // Stopped with the system: it only tells systemd, so nothing of it is worth a restart.
      ActorRef<Readiness.Command> readiness = context.spawn(
          Readiness.create(notifier, Map.copyOf(managers), settings.socket().requestTimeout()), "readiness");
      // The front end binds and accepts with blocking calls, so it lives on the blocking dispatcher.
      // If it fails the daemon cannot serve anyone: it stops, and so does the system (see Main).
      ActorRef<FrontEnd.Command> frontEnd = context.spawn(
          Behaviors.supervise(FrontEnd.create(settings, Map.copyOf(managers), events, handed,
                  () -> readiness.tell(Readiness.Listening.INSTANCE)))
              .onFailure(SupervisorStrategy.stop()),
          "front-end",
          DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
      context.watch(frontEnd);
      return Behaviors.receive(Command.class)
          .onSignal(Terminated.class, terminated -> {
            context.getLog().error("the socket front end stopped; volumed cannot serve clients and stops");
            return Behaviors.stopped();
          })
          .build();
    });
  }

  /**
   * The last step of a shutdown, after the front end's grace period: whatever is still being made
   * is rolled back (its mkfs killed, its temporary image removed). Published volumes stay.
   */
  private static void rollBackOnShutdown(ActorContext<Command> context, Formatter formatter, List<PoolStore> stores,
      Duration grace) {
    Executor blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    CoordinatedShutdown.get(context.getSystem()).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "roll-back-unfinished", () -> CompletableFuture.supplyAsync(() -> {
          int killed = formatter.killRunning();
          int removed = stores.stream().mapToInt(PoolStore::removeLeftovers).sum();
          if (killed + removed > 0) {
            LoggerFactory.getLogger(Supervisor.class).warn(
                "shutdown after a grace of {}: killed {} mkfs, removed {} unfinished images", grace, killed, removed);
          }
          return Done.getInstance();
        }, blocking));
  }
}

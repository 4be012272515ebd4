package dev.volumed;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.ActorContext;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolManager;
import dev.volumed.csi.CsiEndpoint;
import dev.volumed.csi.CsiServices;
import dev.volumed.csi.Pools;
import dev.volumed.node.NodeException;
import dev.volumed.settings.Settings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/** Wires the CSI endpoint, when one is configured: started on the pool managers, stopped at shutdown. */
final class Csi {
  private Csi() {}

  /**
   * Starts the CSI endpoint, when one is configured, once the node's start-up pass is done; when it
   * cannot (logged), the actor system stops: volumed cannot serve what was asked.
   */
  static boolean start(ActorContext<?> context, Settings settings, Map<String, ActorRef<PoolManager.Command>> managers) {
    if (settings.csi().endpoint().isEmpty()) {
      return true;
    }
    Path socket = settings.csi().endpoint().get();
    Executor blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    Pools pools = new Pools(context.getSystem(), settings.pools(), managers, settings.socket().requestTimeout());
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Csi.class); // used off the actor
    ActorSystem<?> system = context.getSystem();
    // Off the guardian, on the blocking dispatcher: the node's start-up pass (it may unmount and detach)
    // runs before the endpoint listens, so no call meets a half-made stage of an earlier run.
    CompletableFuture<CsiEndpoint> started = CompletableFuture.supplyAsync(() -> {
      try {
        NodeRecovery.run(settings.csi(), log);
        return CsiEndpoint.start(socket, CsiServices.of(settings.csi(), Version.current(), pools), blocking);
      } catch (IOException | NodeException e) {
        throw new CompletionException(e);
      }
    }, blocking);
    started.whenComplete((endpoint, failure) -> {
      if (failure != null) {
        log.error("volumed.csi.endpoint = unix://{}: cannot serve CSI ({})", socket, failure.getCause().getMessage());
        system.terminate();
      } else {
        log.info("CSI driver {} (node {}) listening on unix://{}", settings.csi().driverName(),
            settings.csi().nodeId(), socket);
      }
    });
    // Unbound first, with the socket front end: no new CSI call starts once shutdown begins.
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "stop-csi",
        () -> started.handleAsync((endpoint, failure) -> {
          if (endpoint != null) {
            endpoint.close();
          }
          return Done.getInstance();
        }, blocking));
    return true;
  }
}

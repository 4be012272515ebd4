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
import dev.volumed.node.NodeHost;
import dev.volumed.settings.Settings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires the CSI endpoint, when one is configured: started on the pool managers, stopped at shutdown. */
final class Csi {
  private Csi() {}

  /** False when the endpoint cannot listen (logged): volumed cannot serve what was asked. */
  static boolean start(ActorContext<?> context, Settings settings, Map<String, ActorRef<PoolManager.Command>> managers) {
    if (settings.csi().endpoint().isEmpty()) {
      return true;
    }
    Path socket = settings.csi().endpoint().get();
    Executor blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    Pools pools = new Pools(context.getSystem(), settings.pools(), managers, settings.socket().requestTimeout());
    NodeHost node = NodeHost.at(settings.csi().stateDir());
    CsiEndpoint endpoint;
    try {
      endpoint = CsiEndpoint.start(socket, CsiServices.of(settings.csi(), Version.current(), pools, node), blocking);
    } catch (IOException e) {
      context.getLog().error("volumed.csi.endpoint = unix://{}: cannot listen there ({})", socket, e.getMessage());
      return false;
    }
    context.getLog().info("CSI driver {} (node {}) listening on unix://{}", settings.csi().driverName(),
        settings.csi().nodeId(), socket);
    // The node's start-up pass (it may unmount and detach) runs on the blocking dispatcher, off the
    // guardian; node calls wait for it. When it fails volumed cannot serve what was asked, and stops.
    Logger log = LoggerFactory.getLogger(Csi.class); // used off the actor
    ActorSystem<?> system = context.getSystem();
    node.recover(blocking, line -> log.info("CSI node start-up: {}", line)).whenComplete((done, failure) -> {
      if (failure != null) {
        log.error("CSI node: the start-up pass over {} failed, so volumed stops: {}", settings.csi().stateDir(),
            failure.getMessage());
        system.terminate();
      }
    });
    // Unbound first, with the socket front end: no new CSI call starts once shutdown begins.
    CoordinatedShutdown.get(context.getSystem()).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "stop-csi",
        () -> CompletableFuture.supplyAsync(() -> {
          endpoint.close();
          return Done.getInstance();
        }, blocking));
    return true;
  }
}

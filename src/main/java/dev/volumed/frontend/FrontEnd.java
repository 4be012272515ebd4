package dev.volumed.frontend;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.Behaviors;
import dev.volumed.actors.PoolEvents;
import dev.volumed.actors.PoolManager;
import dev.volumed.protocol.Codec;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.settings.Settings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket front end: serves the listening socket handed over by the service manager, else
 * binds {@code socket.path}; runs one stream per connection, and closes the socket when it stops.
 */
public final class FrontEnd {
  private static final Logger log = LoggerFactory.getLogger(FrontEnd.class);

  public interface Command {}

  private FrontEnd() {}

  /**
   * @param events what the watches subscribe to
   * @param handed the listening socket systemd handed over (socket activation), else empty
   * @param onListening told once the socket accepts
   */
  public static Behavior<Command> create(Settings settings, Map<String, ActorRef<PoolManager.Command>> pools,
      PoolEvents events, Optional<ServerSocketChannel> handed, Runnable onListening) {
    return Behaviors.setup(context -> {
      Settings.Socket socket = settings.socket();
      // Socket activation: systemd made the socket (path, mode, group) and keeps it; socket.path is unused.
      SocketServer server = handed.isPresent() ? SocketServer.adopt(handed.get()) : SocketServer.bind(socket);
      RequestHandler handler = new RequestHandler(context.getSystem(), pools, settings, events);
      Executor io = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Connection.SOCKET_DISPATCHER));
      ConnectionSlots slots = new ConnectionSlots(socket.maxConnections(), socket.maxConnectionsPerUid());
      drainOnShutdown(context.getSystem(), settings.shutdown().grace(), server, handler, slots, io);
      PeerCheck peers = PeerCheck.resolve(server.path(), socket.allowedUids(), socket.allowedGids());
      io.execute(() -> server.acceptLoop(channel -> {
        UnixDomainPrincipal peer;
        try {
          peer = PeerCheck.peer(channel);
        } catch (IOException e) {
          log.warn("refused a connection whose peer credentials cannot be read: {}", e.toString());
          refuse(channel, ErrorCode.PERMISSION_DENIED, "volumed cannot read this connection's peer credentials ("
              + e.getMessage() + "), so it does not know who may use it");
          return;
        }
        Optional<String> stranger = peers.refusal(peer);
        if (stranger.isPresent()) {
          log.warn("refused a connection from {}: not in volumed.socket.allowed-uids/allowed-gids", stranger.get());
          refuse(channel, ErrorCode.PERMISSION_DENIED, stranger.get() + " may not use volumed; an operator can"
              + " add the user or group to volumed.socket.allowed-uids or allowed-gids");
          return;
        }
        Optional<String> full = slots.take(channel, peer.user());
        if (full.isPresent()) {
          refuse(channel, ErrorCode.OVERLOADED, full.get());
          return;
        }
        Connection.run(channel, handler, socket, context.getSystem(), () -> slots.release(channel));
      }));
      onListening.run();
      return Behaviors.receive(Command.class)
          .onSignal(PostStop.class, signal -> {
            server.close();
            return Behaviors.same();
          })
          .build();
    });
  }

  /**
   * Shutdown in three steps: stop accepting and answer new requests SHUTTING_DOWN; let in-flight
   * requests finish within the grace period, then answer the rest SHUTTING_DOWN (the supervisor
   * rolls their work back); end every connection once its replies are written.
   */
  private static void drainOnShutdown(ActorSystem<?> system, Duration grace, SocketServer server,
      RequestHandler handler, ConnectionSlots slots, Executor io) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "stop-accepting", () -> {
      // Draining first: a client that sees the socket gone gets SHUTTING_DOWN on its open connection.
      handler.startDraining();
      server.close();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "drain-requests", () ->
        CompletableFuture.supplyAsync(() -> {
          if (!awaitTrue(() -> handler.inFlight() == 0, grace)) {
            log.warn("{} requests did not finish within {}; answering SHUTTING_DOWN", handler.inFlight(), grace);
            handler.abortAll(new VolumeException(ErrorCode.SHUTTING_DOWN, "volumed is shutting down and this"
                + " request did not finish within volumed.shutdown.grace (" + grace + "); what it had made is"
                + " rolled back, check with get or list after the restart"));
            awaitTrue(() -> handler.inFlight() == 0, Duration.ofSeconds(2));
          }
          return Done.getInstance();
        }, io));
    shutdown.addTask(CoordinatedShutdown.PhaseServiceStop(), "close-connections", () ->
        CompletableFuture.supplyAsync(() -> {
          // Ending input lets each connection's stream write what it still holds, then close.
          for (SocketChannel channel : slots.open()) {
            try {
              channel.shutdownInput();
            } catch (IOException alreadyClosed) {
              slots.release(channel);
            }
          }
          awaitTrue(slots::isEmpty, Duration.ofSeconds(3));
          slots.open().forEach(Connection::closeQuietly);
          return Done.getInstance();
        }, io));
  }

  /** Polls the condition until it holds or the time is up; runs on a blocking dispatcher. */
  private static boolean awaitTrue(BooleanSupplier condition, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return condition.getAsBoolean();
      }
    }
    return true;
  }

  /** Answers a connection that will not be served with one error line, and closes it. */
  private static void refuse(SocketChannel channel, ErrorCode code, String message) {
    byte[] line = Codec.encode(Codec.error(null, code, message, Map.of()));
    try (channel) {
      channel.write(ByteBuffer.wrap(line));
    } catch (IOException ignored) {
      // the client went away
    }
  }
}

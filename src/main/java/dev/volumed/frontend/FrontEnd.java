package dev.volumed.frontend;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.Behaviors;
import dev.volumed.actors.Supervisor;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.ErrorCode;
import dev.volumed.settings.Settings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The socket front end: binds the Unix domain socket, runs one stream per connection, and
 * closes and unlinks the socket when it stops.
 */
public final class FrontEnd {

  public interface Command {}

  private FrontEnd() {}

  public static Behavior<Command> create(
      Settings settings, ActorRef<Supervisor.Command> supervisor, Map<String, Supervisor.Pool> pools) {
    return Behaviors.setup(context -> {
      Settings.Socket socket = settings.socket();
      SocketServer server = SocketServer.bind(socket);
      RequestHandler handler = new RequestHandler(context.getSystem(), supervisor, pools, settings);
      Executor io = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Connection.SOCKET_DISPATCHER));
      // Unbind first on shutdown: no new connections while in-flight work finishes.
      CoordinatedShutdown.get(context.getSystem()).addTask(CoordinatedShutdown.PhaseServiceUnbind(),
          "close-socket", () -> {
            server.close();
            return CompletableFuture.completedFuture(Done.getInstance());
          });
      AtomicInteger open = new AtomicInteger();
      io.execute(() -> server.acceptLoop(channel -> {
        if (open.incrementAndGet() > socket.maxConnections()) {
          open.decrementAndGet();
          refuse(channel, socket.maxConnections());
          return;
        }
        Connection.run(channel, handler, socket.maxLineBytes(), socket.maxInFlightPerConnection(),
            context.getSystem(), open::decrementAndGet);
      }));
      return Behaviors.receive(Command.class)
          .onSignal(PostStop.class, signal -> {
            server.close();
            return Behaviors.same();
          })
          .build();
    });
  }

  private static void refuse(SocketChannel channel, int max) {
    byte[] line = Codec.encode(Codec.error(null, ErrorCode.OVERLOADED,
        "volumed already serves " + max + " connections; try again later", Map.of()));
    try (channel) {
      channel.write(ByteBuffer.wrap(line));
    } catch (IOException ignored) {
      // the client went away
    }
  }
}

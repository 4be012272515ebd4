package dev.volumed.csi;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server on the CSI Unix socket. Its event loops only move bytes; every call runs on the
 * executor it is given (volumed's blocking dispatcher), where a node call may wait on mount.
 */
public final class CsiEndpoint implements AutoCloseable {
  private final Server server;
  private final Path socket;
  private final EventLoopGroup loops;

  private CsiEndpoint(Server server, Path socket, EventLoopGroup loops) {
    this.server = server;
    this.socket = socket;
    this.loops = loops;
  }

  /**
   * Listens on {@code socket}, made mode 0600: only volumed's own user (kubelet and the sidecars run
   * as root) may connect. A socket left there by an earlier run (nobody answers on it) is replaced;
   * one that another process listens on (a second volumed given the same endpoint), or any other
   * file there, is refused, never removed.
   */
  public static CsiEndpoint start(Path socket, List<BindableService> services, Executor calls) throws IOException {
    if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      if (!"socket".equals(fileType(socket))) {
        throw new IOException(socket + " exists and is not a socket; volumed does not remove it");
      }
      if (answers(socket)) {
        throw new IOException(socket + " is a socket another process listens on (another volumed?); volumed does"
            + " not take it over");
      }
      Files.delete(socket);
    }
    Files.createDirectories(socket.getParent());
    EventLoopGroup loops = new EpollEventLoopGroup(2);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(loops)
        .workerEventLoopGroup(loops)
        .executor(calls)
        .maxInboundMessageSize(4 * 1024 * 1024);
    services.forEach(builder::addService);
    Server server;
    try {
      server = builder.build().start();
    } catch (IOException | RuntimeException e) {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    return new CsiEndpoint(server, socket, loops);
  }

  public Path socket() {
    return socket;
  }

  /** Stops listening, gives calls in flight up to five seconds, and removes the socket. */
  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // the next start replaces a socket left behind
    }
  }

  /** Whether something accepts connections on that socket now (a stale one refuses them). */
  private static boolean answers(Path socket) {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return probe.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  private static String fileType(Path path) throws IOException {
    Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    return ((Integer) mode & 0170000) == 0140000 ? "socket" : "other";
  }
}

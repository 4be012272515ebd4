package dev.volumed.frontend;

import dev.volumed.settings.Settings;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening Unix domain socket: one bound here (replacing a stale socket file) or one handed
 * over by the service manager; accept, and close. Only a socket bound here is unlinked: a handed
 * one's file belongs to whoever made it, and stays for the next start.
 */
final class SocketServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SocketServer.class);

  private final Path path;
  private final ServerSocketChannel server;
  private final boolean bound;
  private volatile boolean closed;

  private SocketServer(Path path, ServerSocketChannel server, boolean bound) {
    this.path = path;
    this.server = server;
    this.bound = bound;
  }

  /** A listening socket handed over (socket activation); its mode and owner are its maker's. */
  static SocketServer adopt(ServerSocketChannel handed) throws IOException {
    Path path = ((UnixDomainSocketAddress) handed.getLocalAddress()).getPath().toAbsolutePath();
    log.info("listening on {} (handed over by the service manager)", path);
    return new SocketServer(path, handed, false);
  }

  static SocketServer bind(Settings.Socket settings) throws IOException {
    Path path = settings.path();
    Files.createDirectories(path.getParent());
    removeStale(path);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(path), 128);
      Files.setPosixFilePermissions(path, settings.mode());
    } catch (IOException e) {
      server.close();
      throw e;
    }
    log.info("listening on {}", path);
    return new SocketServer(path, server, true);
  }

  /** A socket file that nobody answers on is left from an earlier run: it goes. A live one is another daemon. */
  private static void removeStale(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attrs.isOther()) {
      throw new IOException(path + " exists and is not a socket; refusing to replace it");
    }
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
      throw new IOException("another volumed is already listening on " + path);
    } catch (java.net.ConnectException stale) {
      log.info("replacing stale socket file {}", path);
      Files.delete(path);
    }
  }

  /** Where clients connect. */
  Path path() {
    return path;
  }

  /** Accepts until closed; blocks the calling thread. */
  void acceptLoop(Consumer<SocketChannel> onConnection) {
    while (!closed) {
      try {
        onConnection.accept(server.accept());
      } catch (IOException e) {
        if (!closed) {
          log.error("accept on {} failed: {}", path, e.toString());
        }
      }
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
      if (bound) {
        Files.deleteIfExists(path);
      }
      log.info("closed {}", path);
    } catch (IOException e) {
      log.warn("closing {}: {}", path, e.toString());
    }
  }
}

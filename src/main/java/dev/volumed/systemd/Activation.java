package dev.volumed.systemd;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.util.Map;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * systemd's socket activation (sd_listen_fds): when {@code LISTEN_PID} is this process and
 * {@code LISTEN_FDS} is 1, the listening socket is file descriptor 3. The JDK adopts a socket only
 * as the inherited channel, which is file descriptor 0, so fd 3 is moved there (dup2, then close)
 * before anything asks for the inherited channel; {@link System#inheritedChannel} then gives it
 * as a ServerSocketChannel, connections queued before the start included.
 */
public final class Activation {
  /** SD_LISTEN_FDS_START: the first descriptor systemd passes. */
  static final int FIRST_FD = 3;

  private Activation() {}

  /** Why a handed socket cannot be served: volumed stops (exit 2) rather than bind a socket of its own. */
  public static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  /**
   * The listening Unix socket systemd handed over, or empty when volumed was not socket-activated
   * (no {@code LISTEN_FDS}, or a {@code LISTEN_PID} of another process, e.g. a parent's) and binds
   * its own. Call once, early, before anything else asks for {@link System#inheritedChannel}.
   */
  public static Optional<ServerSocketChannel> adopt(Map<String, String> env) throws Refused {
    String fds = env.get("LISTEN_FDS");
    String pid = env.get("LISTEN_PID");
    if (fds == null || pid == null) {
      return Optional.empty();
    }
    if (!pid.equals(Long.toString(ProcessHandle.current().pid()))) {
      // Meant for another process: a launcher that forks java instead of exec-ing it gets here.
      LoggerFactory.getLogger(Activation.class).warn("LISTEN_FDS is set for process {}, not this one ({}):"
          + " serving socket.path instead of the socket systemd handed over", pid, ProcessHandle.current().pid());
      return Optional.empty();
    }
    if (!fds.equals("1")) {
      throw new Refused("LISTEN_FDS=" + fds + ": volumed serves exactly one socket; give its socket unit one"
          + " ListenStream= (a Unix socket path)");
    }
    try {
      Posix.INSTANCE.dup2(FIRST_FD, 0);
      Posix.INSTANCE.close(FIRST_FD);
    } catch (LastErrorException e) {
      throw new Refused("cannot take over the socket systemd handed as file descriptor 3: " + e.getMessage());
    }
    Channel inherited;
    try {
      inherited = System.inheritedChannel();
    } catch (IOException e) {
      throw new Refused("cannot open the socket systemd handed over: " + e.getMessage());
    }
    if (!(inherited instanceof ServerSocketChannel server)) {
      throw new Refused("the file descriptor systemd handed over is not a listening stream socket ("
          + inherited + "); the socket unit must use ListenStream= with a Unix socket path, and Accept=no");
    }
    try {
      if (!(server.getLocalAddress() instanceof UnixDomainSocketAddress address)) {
        throw new Refused("the socket systemd handed over listens on " + server.getLocalAddress()
            + ": volumed serves a Unix socket only; give ListenStream= a path such as /run/volumed/volumed.sock");
      }
      // Who may connect starts from the socket file's owner and group: an abstract socket has none.
      if (address.getPath().toString().isEmpty()) {
        throw new Refused("the socket systemd handed over has no path (an abstract ListenStream=@...): volumed"
            + " lets in the owner and group of its socket file, so give ListenStream= a path such as"
            + " /run/volumed/volumed.sock");
      }
    } catch (IOException e) {
      throw new Refused("cannot read the address of the socket systemd handed over: " + e.getMessage());
    }
    return Optional.of(server);
  }
}

package dev.volumed.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's readiness protocol (sd_notify): one datagram of {@code KEY=value} lines to the
 * {@code AF_UNIX} socket named by {@code NOTIFY_SOCKET} (a path, or an abstract address written
 * with a leading '@'). Without the variable nothing is sent; a send that fails is logged once
 * and never stops volumed: the service manager's view is not worth a client.
 */
public final class Notifier {
  private static final Logger log = LoggerFactory.getLogger(Notifier.class);

  private final String address;
  private final AtomicBoolean failureLogged = new AtomicBoolean();

  private Notifier(String address) {
    this.address = address;
  }

  /** From {@code NOTIFY_SOCKET}; a notifier that sends nothing when it is unset or empty. */
  public static Notifier fromEnvironment(Map<String, String> env) {
    String address = env.get("NOTIFY_SOCKET");
    return new Notifier(address == null || address.isEmpty() ? null : address);
  }

  public boolean enabled() {
    return address != null;
  }

  /** Sends these lines as one datagram, e.g. {@code READY=1\nSTATUS=...}; never throws. */
  public void send(String state) {
    if (address == null) {
      return;
    }
    try {
      sendOnce(state.getBytes(StandardCharsets.UTF_8));
    } catch (LastErrorException | IllegalArgumentException e) {
      if (failureLogged.compareAndSet(false, true)) {
        log.warn("cannot notify systemd at NOTIFY_SOCKET={} ({}); volumed goes on without telling it (logged once)",
            address, e.getMessage());
      }
    }
  }

  private void sendOnce(byte[] message) {
    byte[] path = address.getBytes(StandardCharsets.UTF_8);
    boolean abstractName = path[0] == '@';
    if (!abstractName && path[0] != '/') {
      throw new IllegalArgumentException("neither an absolute path nor an abstract address (@name)");
    }
    // A path is NUL-terminated inside sun_path; an abstract name starts with NUL and its length is exact.
    int pathBytes = abstractName ? path.length : path.length + 1;
    if (pathBytes > Posix.SUN_PATH_BYTES) {
      throw new IllegalArgumentException("longer than a Unix socket address holds");
    }
    try (Memory addr = new Memory(Posix.SUN_PATH_OFFSET + Posix.SUN_PATH_BYTES)) {
      addr.clear();
      addr.setShort(0, (short) Posix.AF_UNIX);
      addr.write(Posix.SUN_PATH_OFFSET, path, 0, path.length);
      if (abstractName) {
        addr.setByte(Posix.SUN_PATH_OFFSET, (byte) 0);
      }
      int fd = Posix.INSTANCE.socket(Posix.AF_UNIX, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0);
      try {
        Posix.INSTANCE.sendto(fd, message, message.length, Posix.MSG_NOSIGNAL, addr, Posix.SUN_PATH_OFFSET + pathBytes);
      } finally {
        Posix.INSTANCE.close(fd);
      }
    }
  }
}

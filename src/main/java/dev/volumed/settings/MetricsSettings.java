package dev.volumed.settings;

import com.typesafe.config.ConfigException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the metrics go: served over HTTP on {@code listen}, written to {@code textfile}, or
 * neither (both null, the default).
 *
 * @param listen the address GET /metrics is served on; empty: no HTTP server
 * @param textfile the file the same text is written to on each refresh; empty: none
 * @param perVolume whether each volume has its own two series
 */
public record MetricsSettings(Optional<InetSocketAddress> listen, Optional<Path> textfile, boolean perVolume) {

  /** host:port, the host a name, an IPv4 address or an IPv6 address in brackets. */
  private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):([0-9]{1,5})");
  private static final String LISTEN_RULE = "must be null (no HTTP server) or \"host:port\" with a port from 1 to"
      + " 65535, like \"127.0.0.1:9587\" or \"[::1]:9587\"";

  static MetricsSettings read(ConfigReader m, List<PoolSettings> pools) {
    boolean allowRemote = flag(m, "allow-remote");
    Optional<InetSocketAddress> listen = Optional.empty();
    if (set(m, "listen")) {
      InetSocketAddress address = m.parsed("listen", null, LISTEN_RULE, MetricsSettings::address);
      // Metrics tell anyone who can read them every pool's size and every volume's name: only
      // this host may, unless the operator says otherwise.
      if (address != null && !address.getAddress().isLoopbackAddress() && !allowRemote) {
        m.refuse("listen", "is not a loopback address (it resolves to " + address.getAddress().getHostAddress()
            + "), so other hosts could read every pool's figures and every volume's name; use 127.0.0.1 or [::1],"
            + " or set " + m.name("allow-remote") + " = true");
      }
      listen = Optional.ofNullable(address);
    }
    Optional<Path> textfile = Optional.empty();
    if (set(m, "textfile")) {
      Path file = m.parsed("textfile", null, "must be null (none) or the path of a file ending in .prom (what"
          + " node_exporter's textfile collector reads) in a folder that exists", MetricsSettings::textfile);
      textfile = Optional.ofNullable(file);
      textfile.ifPresent(path -> outsidePools(m, path, pools));
    }
    return new MetricsSettings(listen, textfile, flag(m, "per-volume"));
  }

  /** A pool folder holds only the pool's images: a file written there would be adopted as one at the next start. */
  private static void outsidePools(ConfigReader m, Path file, List<PoolSettings> pools) {
    Path real = PoolPaths.realPath(m, "textfile", file);
    for (PoolSettings pool : pools) {
      Path folder = pool.path() == null ? null : PoolPaths.realPath(m, "textfile", pool.path());
      if (real != null && folder != null && real.startsWith(folder)) {
        m.refuse("textfile", "is inside the folder of pool " + pool.name() + " (" + folder + "), which holds only the"
            + " pool's images; write it outside every pool folder, e.g. node_exporter's textfile folder");
      }
    }
  }

  private static boolean set(ConfigReader m, String key) {
    return m.config().hasPath(key);
  }

  private static boolean flag(ConfigReader m, String key) {
    try {
      return m.config().getBoolean(key);
    } catch (ConfigException e) {
      m.refuse(key, "must be true or false");
      return false;
    }
  }

  private static InetSocketAddress address(String text) {
    Matcher match = HOST_PORT.matcher(text);
    if (!match.matches()) {
      throw new IllegalArgumentException(text);
    }
    int port = Integer.parseInt(match.group(2));
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(text);
    }
    String host = match.group(1).startsWith("[") ? match.group(1).substring(1, match.group(1).length() - 1)
        : match.group(1);
    try {
      // Resolved once, here: the server binds what was checked.
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(text, e);
    }
  }

  private static Path textfile(String text) {
    Path file = Path.of(text).toAbsolutePath().normalize();
    if (!file.getFileName().toString().endsWith(".prom") || file.getParent() == null
        || !Files.isDirectory(file.getParent()) || Files.isDirectory(file)) {
      throw new IllegalArgumentException(text);
    }
    return file;
  }
}

package dev.volumed.settings;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The CSI endpoint: where volumed serves the Container Storage Interface, and how it names itself
 * there. Nothing is served when {@code endpoint} is null (the default).
 *
 * @param endpoint the Unix socket the gRPC services listen on; empty: no CSI
 * @param driverName the DNS-style name Kubernetes and Nomad know the driver by, e.g. "csi.volumed.dev"
 * @param nodeId this host's id in CSI (NodeGetInfo, topology); the host name unless set
 * @param maxVolumesPerNode how many volumes the scheduler may publish on this host; 0: no limit
 * @param stateDir where the node service keeps its notes of the stages and publishes it made
 */
public record CsiSettings(Optional<Path> endpoint, String driverName, String nodeId, int maxVolumesPerNode,
    Path stateDir) {

  /** CSI: at most 63 characters, alphanumerics, '-', '.' and '_', starting and ending with an alphanumeric. */
  private static final Pattern DRIVER_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?");
  /** A node id is a topology value too: Kubernetes label values are at most 63 such characters. */
  private static final Pattern NODE_ID = DRIVER_NAME;
  private static final String ENDPOINT_RULE = "must be null (no CSI) or \"unix://\" and a socket path of at most "
      + Settings.MAX_SOCKET_PATH_BYTES + " bytes once absolute, like \"unix:///run/volumed/csi.sock\"";

  /** The topology key this driver's volumes are placed by: "&lt;driver name&gt;/host". */
  public String topologyKey() {
    return driverName + "/host";
  }

  static CsiSettings read(ConfigReader c, Path frontEndSocket, List<PoolSettings> pools) {
    Optional<Path> endpoint = Optional.empty();
    if (c.config().hasPath("endpoint")) {
      endpoint = Optional.ofNullable(c.parsed("endpoint", null, ENDPOINT_RULE, CsiSettings::endpoint));
      if (endpoint.isPresent() && endpoint.get().equals(frontEndSocket)) {
        c.refuse("endpoint", "is the path of volumed.socket.path; the CSI endpoint needs a socket of its own");
      }
    }
    String driver = c.parsed("driver-name", "csi.volumed.dev", "must be a DNS-style name of at most 63 characters"
        + " (letters, digits, '.', '-', '_', starting and ending with a letter or digit), like \"csi.volumed.dev\"",
        text -> {
          if (!DRIVER_NAME.matcher(text).matches()) {
            throw new IllegalArgumentException(text);
          }
          return text;
        });
    String node = null;
    if (c.config().hasPathOrNull("node-id") && !c.config().getIsNull("node-id")) {
      node = c.parsed("node-id", null, "must be null (the host name) or at most 63 letters, digits, '.', '-' and"
          + " '_', starting and ending with a letter or digit", text -> {
            if (!NODE_ID.matcher(text).matches()) {
              throw new IllegalArgumentException(text);
            }
            return text;
          });
    }
    int max = c.count("max-volumes-per-node", 0, 1_000_000);
    Path state = c.parsed("state-dir", Path.of("var/csi").toAbsolutePath(), "must be the path of a folder"
        + " (made if missing), like \"/var/lib/volumed/csi\"", PoolSettings::folder);
    outsidePools(c, state, pools);
    return new CsiSettings(endpoint, driver, node == null ? hostName() : node, max, state);
  }

  /**
   * A pool folder holds only the pool's images: notes written there would be adopted as images at
   * the next start, and a pool's sweep could remove them.
   */
  private static void outsidePools(ConfigReader c, Path state, List<PoolSettings> pools) {
    Path real = state == null ? null : PoolPaths.realPath(c, "state-dir", state);
    for (PoolSettings pool : pools) {
      Path folder = pool.path() == null ? null : PoolPaths.realPath(c, "state-dir", pool.path());
      if (real != null && folder != null && (real.startsWith(folder) || folder.startsWith(real))) {
        c.refuse("state-dir", "is " + (real.startsWith(folder) ? "inside" : "around") + " the folder of pool "
            + pool.name() + " (" + folder + "), which holds only the pool's images; keep the CSI notes outside"
            + " every pool folder, e.g. /var/lib/volumed/csi");
      }
    }
  }

  private static Path endpoint(String text) {
    if (!text.startsWith("unix://") || text.length() == "unix://".length()) {
      throw new IllegalArgumentException(text);
    }
    Path path = PoolSettings.folder(text.substring("unix://".length()));
    if (path.toString().getBytes(StandardCharsets.UTF_8).length > Settings.MAX_SOCKET_PATH_BYTES) {
      throw new IllegalArgumentException("too long");
    }
    return path;
  }

  /** The host's name, or "localhost" when it is not a valid node id. */
  private static String hostName() {
    String name;
    try {
      name = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      name = "localhost";
    }
    return NODE_ID.matcher(name).matches() ? name : "localhost";
  }
}

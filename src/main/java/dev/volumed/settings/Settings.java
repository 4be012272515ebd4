package dev.volumed.settings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.volumed.disk.MkfsArgsPolicy;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The {@code volumed} section of the configuration, read once. */
public record Settings(
    Socket socket, Format format, Batch batch, Accounting accounting, Shutdown shutdown, List<PoolSettings> pools) {

  public Settings {
    pools = List.copyOf(pools);
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("volumed.pools must name at least one pool");
    }
  }

  public record Socket(
      Path path,
      Set<PosixFilePermission> mode,
      int maxLineBytes,
      int maxConnections,
      int maxConnectionsPerUid,
      int maxInFlightPerConnection,
      long maxBufferedReplyBytes,
      Duration requestTimeout,
      Duration idleTimeout,
      List<String> allowedUids,
      List<String> allowedGids) {
    public Socket {
      mode = Set.copyOf(mode);
      allowedUids = List.copyOf(allowedUids);
      allowedGids = List.copyOf(allowedGids);
      if (maxConnectionsPerUid < 1 || maxConnectionsPerUid > maxConnections) {
        throw new IllegalArgumentException("volumed.socket.max-connections-per-uid must be 1 to max-connections ("
            + maxConnections + "), got " + maxConnectionsPerUid);
      }
      if (maxBufferedReplyBytes < 1 || maxBufferedReplyBytes > 1L << 30) {
        throw new IllegalArgumentException("volumed.socket.max-buffered-reply-bytes must be 1 to 1G, got "
            + maxBufferedReplyBytes);
      }
      if (mode.contains(PosixFilePermission.OTHERS_WRITE)) {
        throw new IllegalArgumentException("volumed.socket.mode must not let others write (connect):"
            + " who may connect is the socket's owner and group, and allowed-uids/allowed-gids");
      }
    }
  }

  public record Format(int parallelism, Duration timeout, MkfsArgsPolicy mkfsArgs) {
    /** The configured parallelism, with 0 meaning one per core. */
    public int effectiveParallelism() {
      return parallelism > 0 ? parallelism : Runtime.getRuntime().availableProcessors();
    }
  }

  public record Batch(int maxVolumes) {}

  public record Accounting(Duration refreshInterval) {}

  public record Shutdown(Duration grace) {}

  /**
   * The configuration the actor system runs with: Akka's coordinated-shutdown phase that waits
   * for in-flight requests gets the grace period plus room to answer and roll back.
   */
  public static Config withShutdownTimeouts(Config config) {
    Duration grace = config.getDuration("volumed.shutdown.grace");
    return ConfigFactory.parseString(
            "akka.coordinated-shutdown.phases.service-requests-done.timeout = "
                + grace.plusSeconds(5).toMillis() + "ms\n"
                + "akka.coordinated-shutdown.phases.service-stop.timeout = 10s\n"
                + "akka.coordinated-shutdown.phases.before-actor-system-terminate.timeout = 20s\n")
        .withFallback(config);
  }

  /** A pool name as a config path element (names may hold dots or dashes). */
  private static String quoted(String key) {
    return com.typesafe.config.ConfigUtil.quoteString(key);
  }

  /** A list of user or group names or numeric ids. */
  private static List<String> ids(Config c, String key) {
    return c.getList(key).unwrapped().stream().map(String::valueOf).toList();
  }

  public static Settings from(Config root) {
    Config c = root.getConfig("volumed");
    Config s = c.getConfig("socket");
    Socket socket = new Socket(
        Path.of(s.getString("path")).toAbsolutePath().normalize(),
        PoolSettings.parseMode(s.getString("mode")),
        Math.toIntExact(s.getBytes("max-line-bytes")),
        s.getInt("max-connections"),
        // Unset: a quarter of max-connections, at least one.
        s.getIsNull("max-connections-per-uid") ? Math.max(1, s.getInt("max-connections") / 4)
            : s.getInt("max-connections-per-uid"),
        s.getInt("max-in-flight-per-connection"),
        s.getBytes("max-buffered-reply-bytes"),
        s.getDuration("request-timeout"),
        s.getDuration("idle-timeout"),
        ids(s, "allowed-uids"),
        ids(s, "allowed-gids"));
    Format format = new Format(c.getInt("format.parallelism"), c.getDuration("format.timeout"),
        MkfsArgsPolicy.from(c.getConfig("format.allowed-mkfs-args")));
    Batch batch = new Batch(c.getInt("batch.max-volumes"));
    Accounting accounting = new Accounting(c.getDuration("accounting.refresh-interval"));
    Shutdown shutdown = new Shutdown(c.getDuration("shutdown.grace"));
    Config poolsConfig = c.getConfig("pools");
    Config poolDefaults = c.getConfig("pool-defaults");
    List<PoolSettings> pools = new ArrayList<>();
    for (String name : poolsConfig.root().keySet().stream().sorted().toList()) {
      if (poolsConfig.getIsNull(quoted(name))) {
        continue; // switched off, e.g. the packaged "default" pool
      }
      pools.add(PoolSettings.from(name, poolsConfig.getConfig(quoted(name)).withFallback(poolDefaults)));
    }
    return new Settings(socket, format, batch, accounting, shutdown, pools);
  }
}

package dev.volumed.settings;

import dev.volumed.model.Sizes;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigFactory;
import dev.volumed.model.MkfsArgsPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/** The {@code volumed} section of the configuration, read once. */
public record Settings(
    Socket socket, Format format, Batch batch, Accounting accounting, Shutdown shutdown, List<PoolSettings> pools,
    MetricsSettings metrics, Io io, CsiSettings csi) {

  public Settings {
    pools = List.copyOf(pools);
  }

  /** What reading the configuration gave: settings to run with, or every problem found in it. */
  public sealed interface Loaded permits Valid, Invalid {}

  public record Valid(Settings settings) implements Loaded {}

  /** One line per problem, each naming the key, its value and what is accepted. */
  public record Invalid(List<String> problems) implements Loaded {
    public Invalid {
      problems = List.copyOf(problems);
    }
  }

  /** Timers longer than this are refused: Akka's scheduler cannot hold much longer delays. */
  static final Duration MAX_TIMER = Duration.ofDays(30);
  /** A refresh re-reads the file system and every volume's blocks: more often than this only burns CPU. */
  static final Duration MIN_REFRESH = Duration.ofSeconds(1);
  /** sun_path holds 108 bytes, the last one the terminating NUL. */
  static final int MAX_SOCKET_PATH_BYTES = 107;
  /** A request line is buffered whole, per connection: at least a batch of a few volumes, at most 64 MiB. */
  static final long MIN_LINE_BYTES = Sizes.KIB;
  static final long MAX_LINE_BYTES = 64 * Sizes.MIB;

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
    }
  }

  public record Format(int parallelism, Duration timeout, MkfsArgsPolicy mkfsArgs) {
    /** 0: two volumes at once per core, at most {@value #MOST_CHOSEN}. */
    public static final int MOST_CHOSEN = 32;

    /**
     * The configured parallelism; 0 means two per core (at most {@value #MOST_CHOSEN}): a volume's
     * steps also wait (its copy or mkfs on the page cache and the journal, its metadata file, the
     * rename), so two per core keeps the cores busy. Measured on 2 cores, 200 sparse 10 GiB ext4 in
     * one batch, median of 3 interleaved rounds: 1 at once 2.35 s, 2: 2.20 s, 4: 1.10 s, 8: 2.24 s.
     */
    public int effectiveParallelism() {
      return parallelism > 0 ? parallelism : chosenParallelism(Runtime.getRuntime().availableProcessors());
    }

    static int chosenParallelism(int cores) {
      return Math.min(2 * Math.max(1, cores), MOST_CHOSEN);
    }
  }

  public record Batch(int maxVolumes) {}

  public record Accounting(Duration refreshInterval) {}

  public record Shutdown(Duration grace) {}

  /**
   * Writing zeros into published images (preallocate full, a full volume's resize): at most this many
   * bytes a second; empty: unpaced.
   */
  public record Io(OptionalLong maxWriteBytesPerSecond) {}

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

  /**
   * Reads and checks every key of the {@code volumed} section, without creating anything on disk:
   * the settings, or one line per problem found.
   */
  public static Loaded load(Config root) {
    List<String> problems = new ArrayList<>();
    ConfigReader c = new ConfigReader(root, "", problems).section("volumed");
    KnownKeys.check(c);
    Socket socket = socket(c.section("socket"));
    checkSocketThreads(c, socket.maxConnections());
    ConfigReader f = c.section("format");
    Format format = new Format(f.count("parallelism", 0, 1024), f.duration("timeout", Duration.ofSeconds(1), MAX_TIMER),
        mkfsArgs(f));
    Batch batch = new Batch(c.section("batch").count("max-volumes", 1, 1_000_000));
    Accounting accounting = new Accounting(c.section("accounting").duration("refresh-interval", MIN_REFRESH, MAX_TIMER));
    Shutdown shutdown = new Shutdown(c.section("shutdown").duration("grace", Duration.ZERO, MAX_TIMER));
    Io io = new Io(c.section("io").optionalBytes("max-write-bytes-per-second", 1));
    List<PoolSettings> pools = PoolSettings.readAll(c);
    PoolPaths.check(c, socket.path(), pools);
    MetricsSettings metrics = MetricsSettings.read(c.section("metrics"), pools);
    CsiSettings csi = CsiSettings.read(c.section("csi"), socket.path(), pools);
    return problems.isEmpty()
        ? new Valid(new Settings(socket, format, batch, accounting, shutdown, pools, metrics, io, csi))
        : new Invalid(problems);
  }

  /** The settings of a configuration known to be good (tests); a bad one throws, naming every problem. */
  public static Settings from(Config root) {
    Loaded loaded = load(root);
    if (loaded instanceof Invalid invalid) {
      throw new IllegalArgumentException(String.join("; ", invalid.problems()));
    }
    return ((Valid) loaded).settings();
  }

  private static Socket socket(ConfigReader s) {
    Path path = s.parsed("path", null, "must be a socket path of at most " + MAX_SOCKET_PATH_BYTES
        + " bytes once absolute (what a Unix socket address holds)", Settings::socketPath);
    Set<PosixFilePermission> mode = s.parsed("mode", Set.of(), PoolSettings.MODE_RULE, PoolSettings::parseMode);
    if (mode.contains(PosixFilePermission.OTHERS_WRITE)) {
      s.refuse("mode", "must not let others write (connect): who may connect is the socket's owner and group,"
          + " and allowed-uids/allowed-gids");
    }
    int maxConnections = s.count("max-connections", 1, 100_000);
    return new Socket(
        path,
        mode,
        (int) s.bytes("max-line-bytes", MIN_LINE_BYTES, MAX_LINE_BYTES),
        maxConnections,
        // Unset (null): a quarter of max-connections, at least one.
        s.config().hasPath("max-connections-per-uid") ? s.count("max-connections-per-uid", 1, maxConnections)
            : Math.max(1, maxConnections / 4),
        s.count("max-in-flight-per-connection", 1, 100_000),
        s.bytes("max-buffered-reply-bytes", 1, Sizes.GIB),
        s.duration("request-timeout", Duration.ofSeconds(1), MAX_TIMER),
        s.duration("idle-timeout", Duration.ofSeconds(1), MAX_TIMER),
        s.ids("allowed-uids", true),
        s.ids("allowed-gids", false));
  }

  private static Path socketPath(String text) {
    Path path = PoolSettings.folder(text);
    if (path.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
      throw new IllegalArgumentException("too long");
    }
    return path;
  }

  /** Each connection holds two threads of the socket dispatcher while it is open; the accept loop one more. */
  private static void checkSocketThreads(ConfigReader volumed, int connections) {
    int before = volumed.problems().size();
    ConfigReader pool = volumed.section("socket-dispatcher").section("thread-pool-executor");
    int threads = pool.count("fixed-pool-size", 3, 1_000_000);
    if (volumed.problems().size() == before && 2L * connections + 1 > threads) {
      volumed.problems().add(volumed.name("socket.max-connections") + " = " + connections + ": must be at most "
          + (threads - 1) / 2 + ": each connection holds two threads of " + pool.name("fixed-pool-size") + " = "
          + threads + " (raise that to 2 x max-connections + 1)");
    }
  }

  private static MkfsArgsPolicy mkfsArgs(ConfigReader f) {
    ConfigReader allowed = f.section("allowed-mkfs-args");
    try {
      return MkfsArgsPolicy.from(allowed.config());
    } catch (IllegalArgumentException | ConfigException e) {
      f.problems().add(f.name("allowed-mkfs-args") + ": " + e.getMessage());
      return null;
    }
  }

  /** A value read from the packaged defaults (conf/application.conf in the jar), not from the operator's files. */
  static boolean packaged(ConfigValue value) {
    return "application.conf".equals(value.origin().resource());
  }
}

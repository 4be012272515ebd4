package dev.volumed;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolLock;
import dev.volumed.settings.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Reads the configuration and starts the actor system; everything else is the supervisor's. */
public final class Main {
  private Main() {}

  /** The pools' locks, held for the life of the process. */
  private static List<PoolLock> held;

  public static void main(String[] args) {
    Config config;
    try {
      config = load(args);
    } catch (IllegalArgumentException e) {
      System.err.println("volumed: " + e.getMessage());
      System.err.println("usage: volumed [--config FILE]");
      System.exit(2);
      return;
    } catch (ConfigException e) {
      // a HOCON syntax error or a substitution that names nothing: one line, with file and line
      System.err.println("volumed: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Every key is checked before anything starts or is created; a bad one is one line on stderr.
    Settings.Loaded loaded = Settings.load(config);
    if (loaded instanceof Settings.Invalid invalid) {
      invalid.problems().forEach(problem -> System.err.println("volumed: " + problem));
      System.exit(2);
      return;
    }
    Settings settings = ((Settings.Valid) loaded).settings();
    // The configuration is read once, at start-up: SIGHUP (a terminal gone, or a reload out of habit)
    // must not stop volumed, so it is logged and otherwise ignored.
    Signal.handle(new Signal("HUP"), signal -> LoggerFactory.getLogger(Main.class).warn(
        "SIGHUP: ignored; volumed reads its configuration only at start-up, restart it to apply changes"));
    config = Settings.withShutdownTimeouts(config);
    // Every pool is opened and locked before anything runs: one that cannot be stops volumed here.
    try {
      held = PoolLock.acquireAll(settings.pools());
    } catch (PoolLock.Unavailable e) {
      System.err.println("volumed: " + e.getMessage());
      System.exit(2);
      return;
    }
    Formatter formatter = new Formatter(settings.format().timeout());
    ActorSystem<Supervisor.Command> system =
        ActorSystem.create(Supervisor.create(settings, formatter), "volumed", config);
    // SIGTERM and SIGINT run the coordinated shutdown (unbind, drain, stop) and exit 0.
    AtomicBoolean signalled = new AtomicBoolean();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> {
        signalled.set(true);
        CoordinatedShutdown.get(system).run(CoordinatedShutdown.jvmExitReason());
        system.getWhenTerminated().toCompletableFuture().join();
        System.exit(0);
      });
    }
    // When the actor system stops on its own (e.g. the socket cannot be bound), the process ends with it.
    system.getWhenTerminated().thenRun(() -> {
      if (!signalled.get()) {
        System.exit(1);
      }
    });
  }

  /** The packaged defaults, with {@code --config FILE} read over them. */
  static Config load(String[] args) {
    Config overrides = ConfigFactory.empty();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--config" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("--config needs a file");
          }
          Path file = Path.of(args[++i]);
          if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " does not exist");
          }
          overrides = ConfigFactory.parseFile(file.toFile()).withFallback(overrides);
        }
        case "-h", "--help" -> {
          System.out.println("usage: volumed [--config FILE]");
          System.exit(0);
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    return overrides.withFallback(ConfigFactory.load()).resolve();
  }
}

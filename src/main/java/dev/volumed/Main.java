package dev.volumed;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolLock;
import dev.volumed.settings.Settings;
import dev.volumed.systemd.Activation;
import dev.volumed.systemd.Notifier;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Reads the configuration and starts the actor system; everything else is the supervisor's. */
public final class Main {
  private Main() {}

  /** The pools' locks, held for the life of the process. */
  private static List<PoolLock> held;

  public static void main(String[] args) {
    Arguments arguments;
    Config config;
    try {
      arguments = Arguments.parse(args);
      if (arguments instanceof Arguments.PrintVersion) {
        System.out.println("volumed " + Version.current());
        System.exit(0);
        return;
      } else if (arguments instanceof Arguments.PrintHelp) {
        System.out.println(Arguments.USAGE);
        System.exit(0);
        return;
      }
      config = Arguments.load(arguments instanceof Arguments.CheckConfig check ? List.of(check.file())
          : ((Arguments.Serve) arguments).files());
    } catch (IllegalArgumentException e) {
      System.err.println("volumed: " + e.getMessage());
      System.err.println(Arguments.USAGE);
      System.exit(2);
      return;
    } catch (ConfigException e) {
      // a HOCON syntax error or a substitution that names nothing: one line, with file and line
      System.err.println("volumed: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (arguments instanceof Arguments.CheckConfig check) {
      System.exit(ConfigCheck.run(check.file(), config, System.out, System.err));
      return;
    }
    // Before anything else could ask for the inherited channel: a socket systemd handed over.
    Optional<ServerSocketChannel> handed;
    try {
      handed = Activation.adopt(System.getenv());
    } catch (Activation.Refused e) {
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
    ActorSystem<Supervisor.Command> system = ActorSystem.create(
        Supervisor.create(settings, formatter, handed, Notifier.fromEnvironment(System.getenv())), "volumed", config);
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
}

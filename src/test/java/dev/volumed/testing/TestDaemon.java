package dev.volumed.testing;

import akka.actor.typed.ActorSystem;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.volumed.Supervisor;
import dev.volumed.disk.Formatter;
import dev.volumed.settings.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real volumed (actor system, ledgers, workers, socket) running in the test's JVM on a
 * scratch folder: socket at {@code dir/volumed.sock}, pool "default" at {@code dir/pool}.
 */
public final class TestDaemon implements AutoCloseable {
  private final ActorSystem<Supervisor.Command> system;
  private final Settings settings;

  private TestDaemon(ActorSystem<Supervisor.Command> system, Settings settings) {
    this.system = system;
    this.settings = settings;
  }

  /** The test configuration for a daemon in {@code dir}, with {@code hocon} read over it. */
  public static Config config(Path dir, String hocon) {
    String paths = "volumed.socket.path = \"" + dir.resolve("volumed.sock") + "\"\n"
        + "volumed.pools.default.path = \"" + dir.resolve("pool") + "\"\n";
    return Settings.withShutdownTimeouts(ConfigFactory.parseString(hocon)
        .withFallback(ConfigFactory.parseString(paths))
        .withFallback(ConfigFactory.parseResources("application-test.conf"))
        .withFallback(ConfigFactory.load())
        .resolve());
  }

  public static TestDaemon start(Path dir) throws Exception {
    return start(dir, "");
  }

  public static TestDaemon start(Path dir, String hocon) throws Exception {
    Config config = config(dir, hocon);
    Settings settings = Settings.from(config);
    ActorSystem<Supervisor.Command> system = ActorSystem.create(
        Supervisor.create(settings, new Formatter(settings.format().timeout()), java.util.Optional.empty(),
            dev.volumed.systemd.Notifier.fromEnvironment(java.util.Map.of())), "volumed-test", config);
    TestDaemon daemon = new TestDaemon(system, settings);
    daemon.awaitReady(Duration.ofSeconds(20));
    return daemon;
  }

  public Path socket() {
    return settings.socket().path();
  }

  public Path pool() {
    return settings.pools().get(0).path();
  }

  public Settings settings() {
    return settings;
  }

  public LineClient connect() throws Exception {
    return LineClient.connect(socket());
  }

  /** One request on a fresh connection. */
  public JsonNode request(String json) throws Exception {
    try (LineClient client = connect()) {
      return client.request(json);
    }
  }

  private void awaitReady(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (Files.exists(socket())) {
        try {
          JsonNode reply = request("{\"id\":\"ready\",\"op\":\"list\"}");
          if (reply.path("ok").asBoolean()) {
            return;
          }
        } catch (Exception e) {
          last = e;
        }
      }
      Thread.sleep(20);
    }
    close();
    throw new IllegalStateException("volumed did not come up within " + timeout, last);
  }

  @Override
  public void close() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get();
  }
}

package dev.volumed.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * volumed as a real process: {@code java -cp <the test class path> dev.volumed.Main --config FILE},
 * its stdout and stderr appended to a log file that failure messages name; a test can stop it with
 * SIGTERM or SIGKILL. Close it in a finally block or {@code @AfterEach}: close kills the process if
 * it is still running.
 */
public final class VolumedProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final Path socket;
  private final Path log;

  private VolumedProcess(Process process, Path socket, Path log) {
    this.process = process;
    this.socket = socket;
    this.log = log;
  }

  /** Starts volumed with this config file and waits (bounded) until its socket answers ping. */
  public static VolumedProcess start(Path config, Path socket, Path log) throws Exception {
    return start(config, socket, log, List.of());
  }

  /** The same, with these options for its JVM after the test's own (a later one wins). */
  public static VolumedProcess start(Path config, Path socket, Path log, List<String> jvmOptions) throws Exception {
    VolumedProcess daemon = new VolumedProcess(launch(config, log, jvmOptions), socket, log);
    try {
      daemon.awaitPing();
    } catch (Exception | AssertionError e) {
      daemon.close();
      throw e;
    }
    return daemon;
  }

  /**
   * Starts volumed with this config file and waits (bounded) for it to exit by itself, as it does when
   * it refuses to start; its exit code. A volumed still running after the timeout is killed and fails the test.
   */
  public static int exitCodeOf(Path config, Path log, Duration timeout) throws Exception {
    Process process = launch(config, log, List.of());
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("volumed --config " + config + " still ran after " + timeout + "; log: " + log);
    }
    return process.exitValue();
  }

  private static Process launch(Path config, Path log, List<String> jvmOptions) throws IOException {
    ProcessBuilder builder = command(config, jvmOptions);
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Files.writeString(log, "\n===== starting volumed --config " + config + "\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return builder.start();
  }

  /** The command line of a volumed process with this config, for tests that run it themselves. */
  public static ProcessBuilder command(Path config) {
    return command(config, List.of());
  }

  private static ProcessBuilder command(Path config, List<String> jvmOptions) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // A small heap and the quick compiler: tests start many of these on 2 cores.
    List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.volumed.Main", "--config",
        config.toString()));
    return new ProcessBuilder(command);
  }

  /**
   * For a volumed a test started itself (from a package, under systemd-socket-activate): pings it on
   * socket once it is up, waiting (bounded); fails with its log if it exits first.
   */
  public static JsonNode pingWhenUp(Path socket, Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("volumed exited: " + readQuietly(log));
      }
      if (Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        try (LineClient client = LineClient.connect(socket)) {
          return client.request("{\"op\":\"ping\"}");
        } catch (IOException notYet) {
          // bound but not yet listening
        }
      }
      Thread.sleep(50); // polling a process we do not control: there is nothing to await on
    }
    throw new AssertionError("volumed did not bind " + socket + ": " + readQuietly(log));
  }

  private static String readQuietly(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return e.toString();
    }
  }

  public Path socket() {
    return socket;
  }

  public Path log() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  /** One request on a fresh connection; a failed reply is returned as it is. */
  public JsonNode request(String json) throws Exception {
    try (LineClient client = LineClient.connect(socket)) {
      return client.request(json);
    }
  }

  /** One request that must succeed; its result. */
  public JsonNode result(String json) throws Exception {
    JsonNode reply = request(json);
    if (!reply.path("ok").asBoolean()) {
      throw new AssertionError("volumed refused " + json + ": " + reply + " (log: " + log + ")");
    }
    return reply.path("result");
  }

  public LineClient connect() throws IOException {
    return LineClient.connect(socket);
  }

  /** SIGKILL ({@link Process#destroyForcibly} on Linux) and wait (bounded) until it is gone. */
  public void kill() throws Exception {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("volumed (pid " + process.pid() + ") still alive 30 s after SIGKILL");
    }
  }

  /** SIGTERM ({@link Process#destroy} on Linux), then waits (bounded) for the exit code. */
  public int terminate() throws Exception {
    process.destroy();
    if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      throw new AssertionError("volumed (pid " + process.pid() + ") did not exit within " + STOP_TIMEOUT
          + " of SIGTERM; log: " + log);
    }
    return process.exitValue();
  }

  /** "log: FILE" and its last lines, for assertion messages. */
  public String describeLog() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "log: " + log + "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "log: " + log + " (unreadable: " + e + ")";
    }
  }

  private void awaitPing() throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("volumed exited with " + process.exitValue() + " before answering; " + describeLog());
      }
      if (Files.exists(socket)) {
        try {
          JsonNode reply = request("{\"id\":\"ready\",\"op\":\"ping\"}");
          if (reply.path("ok").asBoolean()) {
            return;
          }
        } catch (Exception e) {
          last = e;
        } catch (AssertionError closed) {
          // The connection ended without a reply: the process is exiting (say how), or, if it lives
          // on, the ping is tried again and the test's output says that it happened.
          if (process.waitFor(5, TimeUnit.SECONDS)) {
            throw new AssertionError("volumed closed the ping connection and exited with " + process.exitValue()
                + " before answering; " + describeLog(), closed);
          }
          System.out.println("VolumedProcess: volumed (pid " + process.pid() + ") closed a ping connection"
              + " during start-up without a reply and still runs; trying again");
          last = new IOException(closed.getMessage());
        }
      }
      Thread.sleep(50); // polling a process we do not control: there is nothing to await on
    }
    throw new AssertionError("volumed did not answer ping on " + socket + " within " + START_TIMEOUT
        + " (last error: " + last + "); " + describeLog());
  }

  /** Kills the process if it still runs (SIGKILL after a short grace period). */
  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}

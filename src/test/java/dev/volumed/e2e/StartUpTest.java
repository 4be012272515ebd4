package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.VolumedProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * volumed as a real process at start-up: a bad configuration stops it before it starts anything
 * (exit 2, one line per problem on stderr, no stack trace, nothing created), and SIGHUP does not
 * stop it.
 */
class StartUpTest {

  @TempDir
  Path dir;

  private record Exit(int code, List<String> stdout, List<String> stderr) {}

  /** Runs {@code java ... dev.volumed.Main --config FILE} to its end (bounded), stdout and stderr apart. */
  private Exit run(String hocon) throws Exception {
    Path config = Files.writeString(dir.resolve("volumed.conf"), hocon);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    Process process = new ProcessBuilder(List.of(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), "dev.volumed.Main", "--config", config.toString()))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("volumed did not exit within 60 s on a configuration it must refuse; stderr: "
          + Files.readString(err));
    }
    return new Exit(process.exitValue(), Files.readAllLines(out, StandardCharsets.UTF_8),
        Files.readAllLines(err, StandardCharsets.UTF_8));
  }

  @Test
  void aBadConfigurationExitsTwoWithOneLinePerProblemAndCreatesNothing() throws Exception {
    Path socket = dir.resolve("run/volumed.sock");
    Path pool = dir.resolve("pools/a");
    Exit exit = run(String.join("\n",
        "volumed.socket.path = \"" + socket + "\"",
        "volumed.pools { default = null, a.path = \"" + pool + "\", b.path = \"" + pool.resolve("b") + "\" }",
        "volumed.accounting.refresh-interval = 0s",
        "volumed.pools.a.mode = rw"));
    assertEquals(2, exit.code(), "exit code; stderr: " + exit.stderr());
    assertEquals(List.of(
        "volumed: volumed.accounting.refresh-interval = 0s: must be a duration from 1s to 30d, like 30s, 10m or 1h",
        "volumed: volumed.pools.a.mode = rw: must be an octal permission mode like \"0600\" (3 digits, or 4 with a leading 0)",
        "volumed: volumed.pools.a.path = " + pool + " and volumed.pools.b.path = " + pool.resolve("b")
            + ": pools a and b overlap (" + pool + " holds " + pool.resolve("b")
            + "); give each pool a folder of its own, not inside another pool's"),
        exit.stderr());
    assertEquals(List.of(), exit.stdout());
    assertFalse(Files.exists(dir.resolve("run")), "the socket's folder was created");
    assertFalse(Files.exists(dir.resolve("pools")), "a pool folder was created");
  }

  @Test
  void overlappingPoolsStopTheStartNamingBoth() throws Exception {
    Path pool = dir.resolve("pools/a");
    Exit exit = run(String.join("\n",
        "volumed.socket.path = \"" + dir.resolve("volumed.sock") + "\"",
        "volumed.pools { default = null, a.path = \"" + pool + "\", b.path = \"" + pool.resolve("b") + "\" }"));
    assertEquals(2, exit.code(), "exit code; stderr: " + exit.stderr());
    assertEquals(1, exit.stderr().size(), exit.stderr().toString());
    assertTrue(exit.stderr().get(0).startsWith("volumed: volumed.pools.a.path = " + pool + " and volumed.pools.b.path = "
        + pool.resolve("b") + ": pools a and b overlap"), exit.stderr().get(0));
    assertFalse(Files.exists(dir.resolve("pools")), "a pool folder was created");
    assertFalse(Files.exists(dir.resolve("volumed.sock")), "the socket was made");
  }

  @Test
  void aSyntaxErrorIsOneLineNamingFileAndLine() throws Exception {
    Exit exit = run("volumed.socket {\n  max-connections = 10\n  idle-timeout = \n");
    assertEquals(2, exit.code(), "exit code; stderr: " + exit.stderr());
    assertEquals(1, exit.stderr().size(), exit.stderr().toString());
    String line = exit.stderr().get(0);
    assertTrue(line.startsWith("volumed: ") && line.contains(dir.resolve("volumed.conf") + ": 4"), line);
  }

  @Test
  void sighupIsLoggedAndVolumedKeepsServing() throws Exception {
    Path socket = dir.resolve("volumed.sock");
    Path config = Files.writeString(dir.resolve("volumed.conf"), String.join("\n",
        "volumed.socket.path = \"" + socket + "\"",
        "volumed.pools.default.path = \"" + dir.resolve("pool") + "\""));
    try (VolumedProcess daemon = VolumedProcess.start(config, socket, dir.resolve("volumed.log"))) {
      Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(daemon.pid())).inheritIO().start();
      assertEquals(0, kill.waitFor(), "kill -HUP");
      awaitLogLine(daemon, "SIGHUP: ignored; volumed reads its configuration only at start-up");
      JsonNode pong = daemon.result("{\"id\":\"after-hup\",\"op\":\"ping\"}");
      assertFalse(pong.isMissingNode(), daemon.describeLog());
      assertEquals(0, daemon.terminate(), "SIGTERM after SIGHUP still shuts down cleanly; " + daemon.describeLog());
    }
  }

  private static void awaitLogLine(VolumedProcess daemon, String text) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.readString(daemon.log()).contains(text)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no log line \"" + text + "\" within 30 s; " + daemon.describeLog());
      }
      Thread.sleep(50); // polling a process's log: there is nothing to await on
    }
  }
}

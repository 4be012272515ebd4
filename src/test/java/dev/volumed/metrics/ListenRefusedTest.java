package dev.volumed.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.VolumedProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumed as a process refuses to start on a metrics address it must not or cannot serve. */
class ListenRefusedTest {
  private static final Duration EXIT_WITHIN = Duration.ofSeconds(60);

  @TempDir Path dir;

  private Path config(String listen) throws Exception {
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, "volumed.socket.path = \"" + dir.resolve("volumed.sock") + "\"\n"
        + "volumed.pools.default.path = \"" + dir.resolve("pool") + "\"\n"
        + "volumed.metrics.listen = \"" + listen + "\"\n");
    return config;
  }

  @Test
  void anAddressOtherHostsCanReachStopsVolumedWithExitTwoNamingTheKey() throws Exception {
    Path log = dir.resolve("volumed.log");
    assertEquals(2, VolumedProcess.exitCodeOf(config("0.0.0.0:9587"), log, EXIT_WITHIN), Files.readString(log));
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(output.contains("volumed: volumed.metrics.listen = 0.0.0.0:9587: is not a loopback address"), output);
    assertTrue(output.contains("volumed.metrics.allow-remote = true"), output);
    assertFalse(Files.exists(dir.resolve("pool")), "nothing was created");
  }

  @Test
  void anAddressInUseStopsVolumedNamingTheKey() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path log = dir.resolve("volumed.log");
      int exit = VolumedProcess.exitCodeOf(config("127.0.0.1:" + taken.getLocalPort()), log, EXIT_WITHIN);
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertTrue(exit != 0, output);
      assertTrue(output.contains("volumed.metrics.listen = 127.0.0.1:" + taken.getLocalPort() + ": cannot listen there"),
          output);
      assertFalse(Files.exists(dir.resolve("volumed.sock")), "the socket was never bound: " + output);
    }
  }
}

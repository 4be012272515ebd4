package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumed.metrics: off by default, loopback only unless allowed, a textfile only where it can be written. */
class MetricsSettingsTest {
  @TempDir
  Path dir;

  private TestSettings settings;

  @BeforeEach
  void paths() {
    settings = new TestSettings(dir);
  }

  private Settings.Loaded load(String hocon) {
    return settings.load(hocon);
  }

  private MetricsSettings read(String hocon) {
    return settings.valid(hocon).metrics();
  }

  private List<String> problems(String hocon) {
    return settings.problems(hocon);
  }

  @Test
  void metricsAreOffByDefaultWithPerVolumeSeries() {
    assertEquals(new MetricsSettings(Optional.empty(), Optional.empty(), true), read(""));
  }

  @Test
  void loopbackAddressesAreAccepted() {
    assertEquals(Optional.of(new InetSocketAddress("127.0.0.1", 9587)),
        read("volumed.metrics.listen = \"127.0.0.1:9587\"").listen());
    assertTrue(read("volumed.metrics.listen = \"[::1]:9587\"").listen().orElseThrow().getAddress().isLoopbackAddress());
    assertTrue(read("volumed.metrics.listen = \"localhost:9587\"").listen().orElseThrow().getAddress().isLoopbackAddress());
  }

  @Test
  void refusesAnAddressOtherHostsCanReachUnlessAllowed() {
    List<String> problems = problems("volumed.metrics.listen = \"0.0.0.0:9587\"");
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(problems.get(0).startsWith("volumed.metrics.listen = 0.0.0.0:9587: is not a loopback address"),
        problems::toString);
    assertTrue(problems.get(0).contains("volumed.metrics.allow-remote = true"), problems::toString);
    assertTrue(read("volumed.metrics { listen = \"0.0.0.0:9587\", allow-remote = true }").listen().isPresent());
  }

  @Test
  void refusesWhatIsNotHostColonPort() {
    for (String bad : List.of("9587", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "http://127.0.0.1:9587",
        "127.0.0.1:95x7", "::1:9587")) {
      List<String> problems = problems("volumed.metrics.listen = \"" + bad + "\"");
      assertEquals(1, problems.size(), problems::toString);
      assertTrue(problems.get(0).startsWith("volumed.metrics.listen = "), problems::toString);
      assertTrue(problems.get(0).contains("\"host:port\""), problems::toString);
    }
  }

  @Test
  void aTextfileEndsInPromAndSitsInAFolderThatExists() {
    Path file = dir.resolve("volumed.prom");
    assertEquals(Optional.of(file), read("volumed.metrics.textfile = \"" + file + "\"").textfile());
    for (Path bad : List.of(dir.resolve("volumed.txt"), dir.resolve("missing/volumed.prom"), dir)) {
      List<String> problems = problems("volumed.metrics.textfile = \"" + bad + "\"");
      assertEquals(1, problems.size(), problems::toString);
      assertTrue(problems.get(0).startsWith("volumed.metrics.textfile = "), problems::toString);
    }
  }

  @Test
  void aTextfileInsideAPoolFolderIsRefused() throws Exception {
    Path pool = Files.createDirectories(dir.resolve("pools/default"));
    List<String> problems = problems("volumed.metrics.textfile = \"" + pool.resolve("volumed.prom") + "\"");
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(problems.get(0).contains("is inside the folder of pool default"), problems::toString);
  }

  @Test
  void perVolumeIsAFlag() {
    assertFalse(read("volumed.metrics.per-volume = false").perVolume());
    assertEquals(List.of("volumed.metrics.per-volume = maybe: must be true or false"),
        problems("volumed.metrics.per-volume = maybe"));
  }

  @Test
  void anUnknownMetricsKeyIsRefused() {
    List<String> problems = problems("volumed.metrics.listen-address = \"127.0.0.1:9587\"");
    assertTrue(problems.get(0).startsWith("volumed.metrics.listen-address is not a setting volumed knows"),
        problems::toString);
  }
}

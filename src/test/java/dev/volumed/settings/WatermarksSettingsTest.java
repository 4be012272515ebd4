package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import dev.volumed.model.Watermarks;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pool's watermarks: 80 / 90 / 95 unless set, rising, within 100, each key checked at start-up. */
class WatermarksSettingsTest {
  @TempDir
  Path dir;

  private Settings.Loaded load(String hocon) {
    String base = "volumed.socket.path = \"" + dir.resolve("run/volumed.sock") + "\"\n"
        + "volumed.pools.default.path = \"" + dir.resolve("pools/default") + "\"\n";
    return Settings.load(ConfigFactory.parseString(base + hocon).withFallback(ConfigFactory.load()).resolve());
  }

  private Watermarks read(String hocon) {
    Settings.Loaded loaded = load(hocon);
    if (loaded instanceof Settings.Invalid invalid) {
      throw new AssertionError("refused: " + invalid.problems());
    }
    return ((Settings.Valid) loaded).settings().pools().get(0).watermarks();
  }

  private List<String> problems(String hocon) {
    return assertInstanceOf(Settings.Invalid.class, load(hocon), "accepted: " + hocon).problems();
  }

  @Test
  void theDefaultsAre80And90And95() {
    assertEquals(new Watermarks(80, 90, 95), read(""));
  }

  @Test
  void aPoolSetsItsOwnOrSomeOfThem() {
    assertEquals(new Watermarks(70, 85, 99.5), read("volumed.pools.default.watermarks { warn-percent = 70,"
        + " critical-percent = 85, full-percent = 99.5 }"));
    assertEquals(new Watermarks(50, 90, 95), read("volumed.pools.default.watermarks.warn-percent = 50"));
    assertEquals(new Watermarks(60, 90, 95), read("volumed.pool-defaults.watermarks.warn-percent = 60"));
  }

  @Test
  void watermarksThatDoNotRiseAreRefusedNamingTheKey() {
    assertEquals(List.of("volumed.pools.default.watermarks = {\"critical-percent\":90,\"full-percent\":85,\"warn-percent\":80}: must be 0 < warn-percent"
            + " < critical-percent < full-percent <= 100, got 80 / 90 / 85"),
        problems("volumed.pools.default.watermarks.full-percent = 85"));
    assertEquals(List.of("volumed.pools.default.watermarks = {\"critical-percent\":90,\"full-percent\":101,\"warn-percent\":80}: must be 0 < warn-percent"
            + " < critical-percent < full-percent <= 100, got 80 / 90 / 101"),
        problems("volumed.pools.default.watermarks.full-percent = 101"));
  }

  @Test
  void aWatermarkThatIsNotANumberOrIsMisspeltIsRefused() {
    assertEquals(List.of("volumed.pools.default.watermarks.warn-percent = lots: must be a percent above 0 and at most 100"),
        problems("volumed.pools.default.watermarks.warn-percent = lots"));
    List<String> misspelt = problems("volumed.pools.default.watermarks.warn-precent = 70");
    assertEquals(1, misspelt.size(), misspelt.toString());
    assertEquals("volumed.pools.default.watermarks.warn-precent is not a setting volumed knows (misspelt?); the keys"
        + " here are: critical-percent, full-percent, warn-percent", misspelt.get(0));
  }
}

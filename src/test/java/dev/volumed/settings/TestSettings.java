package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;

/**
 * What a settings test reads: its own lines over the packaged defaults, with the socket and the
 * default pool under the test's folder, loaded as a start loads them.
 */
final class TestSettings {
  private final String base;

  TestSettings(Path dir) {
    base = "volumed.socket.path = \"" + dir.resolve("run/volumed.sock") + "\"\n"
        + "volumed.pools.default.path = \"" + dir.resolve("pools/default") + "\"\n";
  }

  Settings.Loaded load(String hocon) {
    return Settings.load(ConfigFactory.parseString(base + hocon).withFallback(ConfigFactory.load()).resolve());
  }

  /** The settings these lines give; an AssertionError naming the problems when they are refused. */
  Settings valid(String hocon) {
    Settings.Loaded loaded = load(hocon);
    if (loaded instanceof Settings.Invalid invalid) {
      throw new AssertionError("refused: " + invalid.problems());
    }
    return ((Settings.Valid) loaded).settings();
  }

  /** The problems these lines are refused with; an AssertionError when they are accepted. */
  List<String> problems(String hocon) {
    return assertInstanceOf(Settings.Invalid.class, load(hocon), "accepted: " + hocon).problems();
  }
}

package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumed.csi.state-dir: where the node's notes live, never in or around a pool folder. */
class CsiStateDirSettingsTest {
  @TempDir
  Path dir;

  private Settings.Loaded load(String hocon) {
    String base = "volumed.socket.path = \"" + dir.resolve("run/volumed.sock") + "\"\n"
        + "volumed.pools.default.path = \"" + dir.resolve("pools/default") + "\"\n";
    return Settings.load(ConfigFactory.parseString(base + hocon).withFallback(ConfigFactory.load()).resolve());
  }

  private List<String> problems(String hocon) {
    return assertInstanceOf(Settings.Invalid.class, load(hocon), "accepted: " + hocon).problems();
  }

  @Test
  void theStateDirDefaultsToVarCsiUnderTheWorkingDirectory() {
    Settings.Valid valid = assertInstanceOf(Settings.Valid.class, load(""));
    assertEquals(Path.of("var/csi").toAbsolutePath(), valid.settings().csi().stateDir());
  }

  @Test
  void aStateDirInsideOrAroundAPoolFolderIsRefused() throws Exception {
    Path pool = Files.createDirectories(dir.resolve("pools/default"));
    List<String> inside = problems("volumed.csi.state-dir = \"" + pool.resolve("csi") + "\"");
    assertEquals(1, inside.size(), inside::toString);
    assertTrue(inside.get(0).contains("volumed.csi.state-dir") && inside.get(0).contains("inside the folder of pool"
        + " default"), inside::toString);
    List<String> around = problems("volumed.csi.state-dir = \"" + dir.resolve("pools") + "\"");
    assertTrue(around.get(0).contains("around the folder of pool default"), around::toString);
  }

  @Test
  void aStateDirBesideThePoolsIsAccepted() {
    Settings.Valid valid = assertInstanceOf(Settings.Valid.class,
        load("volumed.csi.state-dir = \"" + dir.resolve("csi") + "\""));
    assertEquals(dir.resolve("csi"), valid.settings().csi().stateDir());
  }
}

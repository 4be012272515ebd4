package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VolumeCtlTest {

  @TempDir Path dir;

  @Test
  void topLevelHelpGoesToStdoutWithExitZero() {
    for (String flag : new String[] {"--help", "-h"}) {
      Captured c = Captured.run(flag);
      assertEquals(0, c.exit());
      assertTrue(c.out().startsWith("Usage: volumectl [-h] [--json] [--socket=PATH] COMMAND"), c.out());
      assertEquals("", c.err());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ping", "pools", "create", "batch", "import-microvm", "get", "list", "delete", "completion"})
  void everyCommandHasHelp(String command) {
    Captured c = Captured.run(command, "--help");
    assertEquals(0, c.exit());
    assertTrue(c.out().startsWith("Usage: volumectl " + command + " "), c.out());
    assertTrue(c.out().contains("--socket=PATH"), c.out());
    assertTrue(Captured.run("--help").out().contains("\n  " + command + " "), "listed in the top help");
    assertEquals("", c.err());
  }

  @Test
  void usageErrorsExitTwoWithAHintOnStderr() {
    Captured none = Captured.run();
    assertEquals(2, none.exit());
    assertEquals("", none.out());
    assertTrue(none.err().contains("no command given"), none.err());
    assertTrue(none.err().contains("volumectl --help"), none.err());

    Captured unknown = Captured.run("frobnicate");
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());

    Captured missing = Captured.run("create", "a.img");
    assertEquals(2, missing.exit());
    assertTrue(missing.err().contains("create needs --size SIZE"), missing.err());
    assertTrue(missing.err().contains("volumectl create --help"), missing.err());

    assertEquals(2, Captured.run("get").exit());
    assertEquals(2, Captured.run("list", "--bogus").exit());
    assertEquals(2, Captured.run("create", "a.img", "--size", "1G", "--allocation", "thin").exit());
  }

  @Test
  void aMissingSocketExitsThreeNamingThePathAndHowToStartVolumed() {
    String missing = dir.resolve("nope.sock").toString();
    Captured c = Captured.run("--socket", missing, "ping");
    assertEquals(3, c.exit());
    assertEquals("", c.out());
    assertTrue(c.err().contains(missing), c.err());
    assertTrue(c.err().contains("bin/volumed"), c.err());
    assertTrue(c.err().contains("--socket"), c.err());
  }

  @Test
  void aSocketPathJavaCannotUseIsAUsageError() {
    Captured c = Captured.run(Map.of("VOLUMED_SOCKET", "a\0b"), "ping");
    assertEquals(2, c.exit());
    assertEquals("", c.out());
    assertTrue(c.err().startsWith("volumectl: not a usable socket path: "), c.err());
    assertTrue(c.err().contains("volumectl --help"), c.err());
  }

  @Test
  void aMissingSocketFromTheEnvironmentExitsThree() {
    String missing = dir.resolve("env.sock").toString();
    Captured c = Captured.run(Map.of("VOLUMED_SOCKET", missing), "--json", "list");
    assertEquals(3, c.exit());
    assertTrue(c.err().contains(missing), c.err());
  }

  @Test
  void aDirectoryIsNotASocket() {
    Captured c = Captured.run("--socket", dir.toString(), "pools");
    assertEquals(3, c.exit());
    assertTrue(c.err().contains("directory"), c.err());
  }

  @Test
  void socketPathPrefersTheOptionThenTheEnvironmentThenTheDefault() {
    Optional<String> plain = CliTest.parse("ping").cli().socket();
    Optional<String> given = CliTest.parse("--socket", "/a.sock", "ping").cli().socket();
    Map<String, String> env = Map.of("VOLUMED_SOCKET", "/env.sock");
    assertEquals(Path.of("/a.sock"), VolumeCtl.socketPath(given, env));
    assertEquals(Path.of("/env.sock"), VolumeCtl.socketPath(plain, env));
    assertEquals(Path.of("var/run/volumed.sock"), VolumeCtl.socketPath(plain, Map.of()));
    assertEquals(Path.of("var/run/volumed.sock"), VolumeCtl.socketPath(plain, Map.of("VOLUMED_SOCKET", "")));
  }
}

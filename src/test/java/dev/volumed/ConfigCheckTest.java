package dev.volumed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.VolumedProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code volumed --check-config FILE}: a good file prints the pools it would serve and exits 0; a
 * bad one exits 2 with a line naming the key and what it accepts. Neither creates anything: no
 * pool folder, no socket, no socket folder.
 */
class ConfigCheckTest {
  @TempDir
  Path dir;

  /** A file that names the socket and one pool under dir, then {@code more}. */
  private Path file(String more) throws Exception {
    Path file = dir.resolve("volumed.conf");
    Files.writeString(file, "volumed.socket.path = \"" + dir.resolve("run/volumed.sock") + "\"\n"
        + "volumed.pools.default.path = \"" + dir.resolve("pools/default") + "\"\n" + more, StandardCharsets.UTF_8);
    return file;
  }

  private record Outcome(int code, String out, String err) {}

  private static Outcome check(Path file) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ConfigCheck.run(file, dev.volumed.Arguments.load(List.of(file)),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private List<String> made() throws Exception {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.map(dir::relativize).map(Path::toString).filter(p -> !p.isEmpty() && !p.endsWith(".conf")
          && !p.startsWith("afile")).sorted().toList();
    }
  }

  @Test
  void aGoodFilePrintsThePoolsItWouldServeAndCreatesNothing() throws Exception {
    Outcome outcome = check(file("volumed.pools.fast { path = \"" + dir.resolve("pools/fast")
        + "\", capacity = \"2G\", max-overcommit-ratio = 2.5, reserved-percent = 10 }\n"));
    assertEquals(0, outcome.code(), outcome.err());
    assertTrue(outcome.out().contains("pool default: path " + dir.resolve("pools/default")
        + ", capacity the size of its file system, max-overcommit-ratio 4.0, reserved-percent 5.0, watermarks 80/90/95 %"),
        outcome.out());
    assertTrue(outcome.out().contains("pool fast: path " + dir.resolve("pools/fast") + ", capacity 2147483648 bytes,"
        + " max-overcommit-ratio 2.5, reserved-percent 10.0"), outcome.out());
    assertTrue(outcome.out().contains("socket " + dir.resolve("run/volumed.sock")), outcome.out());
    assertEquals(List.of(), made(), "nothing is created");
    assertTrue(!outcome.out().contains("CSI"), "no CSI unless an endpoint is set: " + outcome.out());
  }

  @Test
  void aCsiEndpointIsPrintedWithTheDriverAndTopologyAndNotCreated() throws Exception {
    Outcome outcome = check(file("volumed.csi { endpoint = \"unix://" + dir.resolve("csi/csi.sock")
        + "\", node-id = \"node-7\" }\n"));
    assertEquals(0, outcome.code(), outcome.err());
    assertTrue(outcome.out().contains("CSI driver csi.volumed.dev as node node-7 (topology csi.volumed.dev/host=node-7)"
        + " on unix://" + dir.resolve("csi/csi.sock")), outcome.out());
    assertEquals(List.of(), made(), "nothing is created");
  }

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of("wrong type", "volumed.socket.max-connections = many", "volumed.socket.max-connections = many:"),
        Arguments.of("unknown fs", "volumed.pools.default.default-fs = zfs", "volumed.pools.default.default-fs = zfs:"),
        Arguments.of("ratio < 1", "volumed.pools.default.max-overcommit-ratio = 0.5",
            "volumed.pools.default.max-overcommit-ratio = 0.5: must be a number of at least 1.0"),
        Arguments.of("world-writable socket", "volumed.socket.mode = \"0666\"", "volumed.socket.mode = 0666:"),
        Arguments.of("unknown owner", "volumed.pools.default.owner = no-such-user-volumed",
            "volumed.pools.default.owner = no-such-user-volumed: must be a user name that exists"),
        Arguments.of("unknown group", "volumed.pool-defaults.group = no-such-group-volumed",
            "volumed.pool-defaults.group = no-such-group-volumed: must be a group name that exists"),
        Arguments.of("unknown allowed user", "volumed.socket.allowed-uids = [no-such-user-volumed]",
            "volumed.socket.allowed-uids = no-such-user-volumed"),
        Arguments.of("unknown key", "volumed.socket.paht = /run/x.sock", "volumed.socket.paht is not a setting"),
        Arguments.of("pool without a path", "volumed.pools.fast { reserved-percent = 3 }",
            "volumed.pools.fast.path is missing"),
        Arguments.of("path under a file", "volumed.pools.fast.path = afile/fast",
            "volumed.pools.fast.path = "),
        Arguments.of("reserved 100%", "volumed.pool-defaults.reserved-percent = 100",
            "volumed.pool-defaults.reserved-percent = 100: must be a number from 0 up to (not including) 100"),
        Arguments.of("refresh too often", "volumed.accounting.refresh-interval = 100ms",
            "volumed.accounting.refresh-interval = 100ms: must be a duration from 1s"),
        Arguments.of("image mode", "volumed.pool-defaults.mode = rwx", "volumed.pool-defaults.mode = rwx: must be an"
            + " octal permission mode"),
        Arguments.of("pools overlap", "volumed.pools.inner.path = ${volumed.pools.default.path}/inner",
            "pools default and inner overlap"),
        Arguments.of("watermarks out of order", "volumed.pools.default.watermarks { warn-percent = 95, critical-percent = 90 }",
            "volumed.pools.default.watermarks"),
        Arguments.of("not a section", "volumed.socket = /run/volumed.sock", "volumed.socket = /run/volumed.sock:"
            + " must be a section"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void aBadFileExitsTwoNamingTheKeyAndCreatesNothing(String what, String line, String expected) throws Exception {
    Files.writeString(dir.resolve("afile"), "a file, not a folder\n");
    // A relative pool path resolves against the working directory: make it this test's file.
    String hocon = line.replace("afile/fast", "\"" + dir.resolve("afile/fast") + "\"");
    Outcome outcome = check(file(hocon + "\n"));
    assertEquals(2, outcome.code(), what + ": " + outcome.out());
    assertTrue(outcome.err().contains(expected), what + ": expected a line with '" + expected + "' in:\n"
        + outcome.err());
    assertTrue(outcome.err().lines().allMatch(l -> l.startsWith("volumed: ")), outcome.err());
    assertEquals(List.of(), made(), what + ": nothing is created");
  }

  /** Through the real command line: exit codes, the syntax error and a missing file, and --version. */
  @Test
  void theCommandLineExitsZeroOrTwoAndPrintsTheVersion() throws Exception {
    Outcome good = run("--check-config", file("").toString());
    assertEquals(0, good.code(), good.err());
    assertTrue(good.out().contains("good; volumed would serve"), good.out());
    Files.writeString(dir.resolve("syntax.conf"), "volumed.socket { path = \"/x.sock\"\n");
    Outcome syntax = run("--check-config", dir.resolve("syntax.conf").toString());
    assertEquals(2, syntax.code());
    assertTrue(syntax.err().contains("syntax.conf: 2"), "names the file and line: " + syntax.err());
    Outcome missing = run("--check-config", dir.resolve("none.conf").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("none.conf does not exist"), missing.err());
    Outcome bad = run("--check-config", file("volumed.pools.default.max-overcommit-ratio = 0.9\n").toString());
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("volumed.pools.default.max-overcommit-ratio = 0.9"), bad.err());
    assertEquals(List.of(), made(), "nothing is created");
    Outcome version = run("--version");
    assertEquals(0, version.code());
    assertEquals("volumed " + pomVersion(), version.out().strip());
  }

  /** The version in pom.xml: the one source the build fills in. */
  private static String pomVersion() throws Exception {
    String pom = Files.readString(Path.of("pom.xml"));
    int artifact = pom.indexOf("<artifactId>volumed</artifactId>");
    int start = pom.indexOf("<version>", artifact) + "<version>".length();
    return pom.substring(start, pom.indexOf("</version>", start));
  }

  private static Outcome run(String... args) throws Exception {
    List<String> command = new ArrayList<>(VolumedProcess.command(Path.of("unused")).command());
    command.subList(command.indexOf("--config"), command.size()).clear();
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).start();
    byte[] out = process.getInputStream().readAllBytes();
    byte[] err = process.getErrorStream().readAllBytes();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    return new Outcome(process.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }
}

package dev.volumed.systemd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code systemd-analyze verify} on volumed's units as they lie in a root folder (an unpacked
 * package, or a test's own): systemd checks every key and that ExecStart's binary exists, so the
 * root also gets a copy of this host's own units (sysinit.target and the rest the units pull in).
 * Its output: empty when systemd has nothing to say (unknown keys are only warned about, exit 0).
 */
final class Units {
  static final String ANALYZE = "/usr/bin/systemd-analyze";
  static final Path HOST_UNITS = Path.of("/usr/lib/systemd/system");

  private Units() {}

  record Verdict(int exit, String output) {}

  /** The host's units copied under {@code root}/usr/lib/systemd/system, with /lib a link to usr/lib as on Debian. */
  static void addHostUnits(Path root) throws IOException {
    Path units = Files.createDirectories(root.resolve("usr/lib/systemd/system"));
    try (Stream<Path> all = Files.list(HOST_UNITS)) {
      for (Path unit : all.toList()) {
        Path target = units.resolve(unit.getFileName().toString());
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(unit)) {
          Files.copy(unit, target, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  /** Verifies {@code /lib/systemd/system/NAME} for each name, as seen from {@code root}. */
  static Verdict verify(Path root, String... names) throws Exception {
    List<String> command = new ArrayList<>(List.of(ANALYZE, "verify", "--root=" + root, "--man=no",
        "--generators=no"));
    for (String name : names) {
      command.add("/lib/systemd/system/" + name);
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("systemd-analyze verify did not end in 60 s: " + output);
    }
    return new Verdict(process.exitValue(), output.strip());
  }
}

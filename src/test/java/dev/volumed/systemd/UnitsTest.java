package dev.volumed.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * packaging/systemd's units pass {@code systemd-analyze verify} without a word, and say what the
 * operator relies on. The package's own launcher is verified with them in DebPackageIT; here a
 * stand-in at /usr/bin/volumed of a scratch root stands for it (systemd only checks it is executable).
 */
class UnitsTest {
  private static final Path UNITS = Path.of("packaging/systemd");

  @TempDir
  Path root;

  @BeforeEach
  void needsSystemdAnalyze() {
    assumeTrue(Files.isExecutable(Path.of(Units.ANALYZE)), Units.ANALYZE + " is not installed; install the"
        + " package systemd (.ci/run does)");
  }

  @Test
  void systemdAnalyzeVerifyAcceptsBothUnitsWithoutAWarning() throws Exception {
    Path units = Files.createDirectories(root.resolve("usr/lib/systemd/system"));
    Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
    for (String name : List.of("volumed.socket", "volumed.service")) {
      Files.copy(UNITS.resolve(name), units.resolve(name));
    }
    Path launcher = Files.createDirectories(root.resolve("usr/bin")).resolve("volumed");
    Files.writeString(launcher, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    Units.addHostUnits(root);
    Units.Verdict verdict = Units.verify(root, "volumed.socket", "volumed.service");
    assertEquals(0, verdict.exit(), verdict.output());
    assertEquals("", verdict.output(), "systemd-analyze has nothing to say");
  }

  @Test
  void aMisspeltKeyIsCaughtByTheSameCheck() throws Exception {
    Path units = Files.createDirectories(root.resolve("usr/lib/systemd/system"));
    Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
    Files.copy(UNITS.resolve("volumed.socket"), units.resolve("volumed.socket"));
    Files.writeString(units.resolve("volumed.service"), Files.readString(UNITS.resolve("volumed.service"))
        .replace("PrivateTmp=yes", "PrivatTmp=yes"));
    Path launcher = Files.createDirectories(root.resolve("usr/bin")).resolve("volumed");
    Files.writeString(launcher, "#!/bin/sh\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    Units.addHostUnits(root);
    Units.Verdict verdict = Units.verify(root, "volumed.socket", "volumed.service");
    assertTrue(verdict.output().contains("Unknown key 'PrivatTmp'"), "the empty-output check means something: "
        + verdict.output());
  }

  @Test
  void theUnitsSayWhatTheOperatorReliesOn() throws Exception {
    String socket = Files.readString(UNITS.resolve("volumed.socket"), StandardCharsets.UTF_8);
    String service = Files.readString(UNITS.resolve("volumed.service"), StandardCharsets.UTF_8);
    for (String line : List.of("ListenStream=/run/volumed/volumed.sock", "SocketMode=0660", "SocketGroup=volumed")) {
      assertTrue(socket.lines().anyMatch(line::equals), line);
    }
    for (String line : List.of("Type=notify", "ExecStart=/usr/bin/volumed --config /etc/volumed/volumed.conf",
        "ProtectSystem=strict", "ReadWritePaths=/var/lib/volumed", "StateDirectory=volumed",
        "RuntimeDirectory=volumed", "RuntimeDirectoryPreserve=yes", "NoNewPrivileges=yes", "PrivateTmp=yes",
        "ProtectHome=yes", "RestrictAddressFamilies=AF_UNIX",
        "CapabilityBoundingSet=CAP_CHOWN CAP_FOWNER CAP_DAC_OVERRIDE CAP_SYS_ADMIN", "LimitNOFILE=65536")) {
      assertTrue(service.lines().anyMatch(line::equals), line);
    }
    assertTrue(service.lines().noneMatch(l -> l.startsWith("MemoryDenyWriteExecute")), "the JIT needs W+X memory");
    // Every setting has a comment saying why, on the lines just above it.
    for (String unit : List.of(socket, service)) {
      List<String> lines = unit.lines().toList();
      for (int i = 0; i < lines.size(); i++) {
        String l = lines.get(i);
        if (!l.isBlank() && !l.startsWith("#") && !l.startsWith("[")) {
          int j = i - 1;
          while (j >= 0 && !lines.get(j).startsWith("#") && !lines.get(j).isBlank() && !lines.get(j).startsWith("[")) {
            j--; // a group of settings under one comment (RuntimeDirectory + RuntimeDirectoryPreserve)
          }
          assertTrue(j >= 0 && lines.get(j).startsWith("#"), "no comment says why: " + l);
        }
      }
    }
  }
}

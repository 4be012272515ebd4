package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.CsiSanity;
import dev.volumed.testing.VolumedProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CSI project's own conformance suite against a real volumed serving CSI on a temporary pool. */
class CsiSanityTest {
  @TempDir
  Path dir;

  @Test
  void identityServicePassesTheConformanceSuite() throws Exception {
    Path binary = CsiSanity.binary().orElse(null);
    Assumptions.assumeTrue(binary != null, "csi-sanity is not on this machine (set CSI_SANITY to its path)");
    Path pool = Files.createDirectories(dir.resolve("pool"));
    Path socket = dir.resolve("volumed.sock");
    Path endpoint = dir.resolve("csi.sock");
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, "volumed {\n  socket.path = \"" + socket + "\"\n  pools { default { path = \"" + pool
        + "\" } }\n  csi.endpoint = \"unix://" + endpoint + "\"\n}\n");
    try (VolumedProcess volumed = VolumedProcess.start(config, socket, dir.resolve("volumed.log"))) {
      CsiSanity.Run run = CsiSanity.run(binary, endpoint, dir, 10, "-ginkgo.focus", "Identity Service");
      assertEquals(0, run.failed(), run.describe());
      assertEquals(0, run.exitCode(), run.describe());
      assertTrue(run.passed() >= 3, run.describe());
    }
  }
}

package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.cli.VolumeCtlRun;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumectl resize and reclaim against a real (in-process) volumed: output and exit codes. */
class VolumeCtlChangesTest {
  @TempDir static Path dir;
  private static TestDaemon daemon;

  @BeforeAll
  static void startDaemon() throws Exception {
    Tools.assumeInstalled("mkfs.ext4", "resize2fs", "e2fsck");
    daemon = TestDaemon.start(dir);
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  private static VolumeCtlRun ctl(String... args) {
    return VolumeCtlRun.against(daemon.socket(), args);
  }

  @Test
  void resizePrintsTheGrownVolume() throws Exception {
    assertEquals(0, ctl("create", "cli/grow.img", "--size", "64M", "--fs", "ext4").exit());
    VolumeCtlRun run = ctl("resize", "cli/grow.img", "--size", "128M", "--pool", "default");
    assertEquals(0, run.exit(), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("size:\\s+128\\.0 MiB \\(134217728 bytes\\)")), run.describe());
    assertEquals(128L << 20, Files.size(daemon.pool().resolve("cli/grow.img")));
    // Not a terminal: a line at each tenth and each step on stderr, the file system's step last.
    List<String> lines = run.err().lines().toList();
    assertTrue(lines.get(0).contains(" 0 B of 64.0 MiB  ") && lines.get(0).endsWith("  extending cli/grow.img"),
        run.describe());
    String last = lines.get(lines.size() - 1);
    assertTrue(last.startsWith("[####################] 100%  64.0 MiB of 64.0 MiB  ")
        && last.endsWith("  growing the file system of cli/grow.img"), run.describe());
  }

  @Test
  void resizeToASmallerSizeIsRefusedWithExitCodeOne() {
    assertEquals(0, ctl("create", "cli/small.img", "--size", "16M", "--fs", "none").exit());
    VolumeCtlRun run = ctl("resize", "cli/small.img", "--size", "8M");
    assertEquals(1, run.exit(), run.describe());
    assertTrue(run.err().startsWith("error BAD_REQUEST: volume cli/small.img in pool default is 16777216 bytes;"),
        run.describe());
  }

  @Test
  void aSizeThatIsNoSizeIsAUsageError() {
    VolumeCtlRun run = ctl("resize", "cli/x.img", "--size", "lots");
    assertEquals(2, run.exit(), run.describe());
    assertTrue(run.err().startsWith("volumectl: --size: size \"lots\" is not"), run.describe());
  }

  @Test
  void reclaimPrintsWhatCameBack() throws Exception {
    assertEquals(0, ctl("create", "cli/zeros.img", "--size", "16M", "--fs", "none").exit());
    try (FileChannel channel = FileChannel.open(daemon.pool().resolve("cli/zeros.img"), StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(new byte[1 << 20]), 0);
    }
    VolumeCtlRun run = ctl("reclaim", "cli/zeros.img");
    assertEquals(0, run.exit(), run.describe());
    assertTrue(run.out().startsWith("reclaimed 1.0 MiB (1048576 bytes) of cli/zeros.img\n"), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("allocated:\\s+0 B")), run.describe());
  }
}

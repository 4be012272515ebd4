package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.cli.VolumeCtlRun;
import dev.volumed.testing.HeldOpen;
import dev.volumed.testing.TestDaemon;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumectl preallocate and get's holders, against a real (in-process) volumed. */
class VolumeCtlPreallocateTest {
  @TempDir static Path dir;
  private static TestDaemon daemon;

  @BeforeAll
  static void start() throws Exception {
    daemon = TestDaemon.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  private static VolumeCtlRun ctl(String... args) {
    return VolumeCtlRun.against(daemon.socket(), args);
  }

  @Test
  void preallocateShowsProgressOnStderrAndTheVolumeOnStdout() throws Exception {
    assertEquals(0, ctl("create", "p1.img", "--size", "32M", "--fs", "none").exit());
    Path image = daemon.pool().resolve("p1.img");
    Images.scribble(image, 1 << 20);
    String content = Images.checksum(image);
    VolumeCtlRun run = ctl("preallocate", "p1.img", "--full");
    assertEquals(0, run.exit(), run.describe());
    assertTrue(run.out().lines().anyMatch(l -> l.matches("allocation:\\s+full")), run.describe());
    assertTrue(run.err().lines().anyMatch(l -> l.contains("100%") && l.contains("p1.img")), run.describe());
    assertEquals(content, Images.checksum(image));

    VolumeCtlRun again = ctl("preallocate", "p1.img");
    assertEquals(0, again.exit(), again.describe());
    assertTrue(again.out().lines().anyMatch(l -> l.matches("allocation:\\s+full")), again.describe());
  }

  @Test
  void getShowsWhatHoldsTheImageAndPreallocateFullIsRefusedWhileHeld() throws Exception {
    assertEquals(0, ctl("create", "p2.img", "--size", "8M", "--fs", "none").exit());
    VolumeCtlRun none = ctl("get", "p2.img");
    assertTrue(none.out().lines().anyMatch(l -> l.matches("holders:\\s+none")), none.describe());
    try (HeldOpen vm = HeldOpen.descriptor(daemon.pool().resolve("p2.img"))) {
      VolumeCtlRun held = ctl("get", "p2.img");
      assertTrue(held.out().lines().anyMatch(l -> l.matches("holders:\\s+pid " + vm.pid() + " \\(python3\\)")),
          held.describe());
      VolumeCtlRun busy = ctl("preallocate", "p2.img", "--full");
      assertEquals(1, busy.exit(), busy.describe());
      assertTrue(busy.err().startsWith("error BUSY: "), busy.describe());
      assertTrue(busy.err().contains("holders: [{\"pid\":" + vm.pid()), busy.describe());
    }
  }

  @Test
  void anUnknownVolumeIsRefusedWithExitOne() {
    VolumeCtlRun run = ctl("preallocate", "nope.img");
    assertEquals(1, run.exit(), run.describe());
    assertTrue(run.err().startsWith("error NOT_FOUND: "), run.describe());
  }
}

package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.VolumedProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A volumed asked to serve CSI that cannot (its endpoint or its notes unusable) says so and exits 1. */
class CsiStartTest {
  @TempDir
  Path dir;

  @Test
  void aStateDirThatIsAFileStopsVolumedWithTheReason() throws Exception {
    Path config = NodeDaemons.config(dir);
    Files.writeString(dir.resolve("state"), "not a folder");
    Path log = dir.resolve("volumed.log");
    assertEquals(1, VolumedProcess.exitCodeOf(config, log, Duration.ofSeconds(60)));
    String text = Files.readString(log);
    assertTrue(text.contains("the start-up pass over " + dir.resolve("state") + " failed, so volumed stops"), text);
  }

  @Test
  void anEndpointPathHeldByAFileStopsVolumedAndTheFileStays() throws Exception {
    Path config = NodeDaemons.config(dir);
    Files.writeString(dir.resolve("csi.sock"), "someone's file");
    Path log = dir.resolve("volumed.log");
    assertEquals(1, VolumedProcess.exitCodeOf(config, log, Duration.ofSeconds(60)));
    assertEquals("someone's file", Files.readString(dir.resolve("csi.sock")));
    assertTrue(Files.readString(log).contains("cannot listen there"), Files.readString(log));
  }
}

package dev.volumed.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.VolumedProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real volumed processes at start-up: a pool that cannot be opened, or that another volumed holds,
 * stops volumed with exit 2 and one line naming the pool, its path and the cause.
 */
class PoolStartupTest {
  private static final Duration EXIT_WITHIN = Duration.ofSeconds(60);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;
  private final List<VolumedProcess> started = new ArrayList<>();
  private Path mnt;

  @AfterEach
  void stopAndUnmount() throws Exception {
    for (VolumedProcess p : started) {
      p.close();
    }
    Host.unmountIfMounted(mnt);
  }

  @Test
  void aSecondVolumedOnTheSamePoolExitsTwoNamingTheHoldersPidWhileTheFirstStillServes() throws Exception {
    Path pool = dir.resolve("pool");
    Path socket = dir.resolve("volumed.sock");
    Path config = config("one.conf", socket, pool);
    VolumedProcess first = start(config, socket);
    assertEquals(first.pid() + "\n", Files.readString(pool.resolve(".volumed/lock")), "the lock file names its holder");

    // The very same config, socket included: the second must refuse before it touches anything.
    Path secondLog = dir.resolve("second.log");
    assertEquals(2, VolumedProcess.exitCodeOf(config, secondLog, EXIT_WITHIN), Files.readString(secondLog));
    String refusal = Files.readString(secondLog, StandardCharsets.UTF_8);
    assertTrue(refusal.contains("volumed: pool default (" + pool + ") cannot be opened: another volumed (pid "
        + first.pid() + ") holds its lock " + pool.resolve(".volumed/lock")), refusal);
    assertTrue(first.result("{\"op\":\"ping\"}").has("version"), "the first still serves; " + first.describeLog());
    first.result("{\"op\":\"create\",\"name\":\"a.img\",\"size\":\"1M\",\"fs\":\"none\"}");

    assertEquals(0, first.terminate(), first.describeLog());
    VolumedProcess third = start(config, socket);
    assertEquals(third.pid() + "\n", Files.readString(pool.resolve(".volumed/lock")));
    assertEquals(1, third.result("{\"op\":\"list\"}").path("volumes").size(), third.describeLog());
  }

  @Test
  void aPoolPathThatIsAFileStopsVolumedWithExitTwoNamingThePoolPathAndCause() throws Exception {
    Path pool = dir.resolve("pool");
    Files.writeString(pool, "a file, not a folder");
    Path log = dir.resolve("volumed.log");
    assertEquals(2, VolumedProcess.exitCodeOf(config("file.conf", dir.resolve("volumed.sock"), pool), log, EXIT_WITHIN),
        Files.readString(log));
    String output = Files.readString(log, StandardCharsets.UTF_8);
    // Refused with the configuration's other problems, before any pool is opened.
    assertTrue(output.contains("volumed: volumed.pools.default.path = " + pool + ": is not a folder"), output);
    assertEquals("a file, not a folder", Files.readString(pool), "the file is left as it was");
  }

  @Test
  void aPoolOnAReadOnlyMountStopsVolumedWithExitTwo() throws Exception {
    Assumptions.assumeTrue(Host.IS_ROOT, "needs root to mount a tmpfs");
    Path mount = Files.createDirectories(dir.resolve("ro"));
    Host.Run tmpfs = Host.run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString());
    Assumptions.assumeTrue(tmpfs.exit() == 0, "mount -t tmpfs failed: " + tmpfs.output());
    mnt = mount;
    Path pool = Files.createDirectories(mount.resolve("pool"));
    Host.Run remount = Host.run("mount", "-o", "remount,ro", mount.toString());
    assertEquals(0, remount.exit(), remount.output());

    Path log = dir.resolve("volumed.log");
    assertEquals(2, VolumedProcess.exitCodeOf(config("ro.conf", dir.resolve("volumed.sock"), pool), log, EXIT_WITHIN),
        Files.readString(log));
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(output.contains("volumed: pool default (" + pool + ") cannot be opened: the folder is not writable"),
        output);
  }

  @Test
  void aPoolWhoseFolderCannotBeMadeStopsVolumedWithExitTwo() throws Exception {
    Files.writeString(dir.resolve("parent"), "a file where the pool's parent folder should be");
    Path pool = dir.resolve("parent/pool");
    Path log = dir.resolve("volumed.log");
    assertEquals(2, VolumedProcess.exitCodeOf(config("parent.conf", dir.resolve("volumed.sock"), pool), log, EXIT_WITHIN),
        Files.readString(log));
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertTrue(output.contains("volumed: volumed.pools.default.path = " + pool + ": lies under " + dir.resolve("parent")
        + ", which is not a folder"), output);
  }

  private VolumedProcess start(Path config, Path socket) throws Exception {
    VolumedProcess p = VolumedProcess.start(config, socket, dir.resolve("volumed.log"));
    started.add(p);
    return p;
  }

  private Path config(String file, Path socket, Path pool) throws IOException {
    return Files.writeString(dir.resolve(file), String.join("\n",
        "volumed.socket.path = \"" + socket + "\"",
        "volumed.pools.default.path = \"" + pool + "\"",
        ""), StandardCharsets.UTF_8);
  }
}

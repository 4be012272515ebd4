package dev.volumed.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a pool in this process (the two-process case is PoolStartupTest). */
class PoolLockTest {
  @TempDir Path dir;

  @Test
  void aPoolIsMadeLockedWithThisPidAndFreeAgainOnceClosed() throws Exception {
    Path pool = dir.resolve("new/pool");
    try (PoolLock lock = PoolLock.acquire("p", pool)) {
      assertTrue(Files.isDirectory(pool.resolve(".volumed/meta")));
      assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pool.resolve(".volumed/lock")));
      PoolLock.Unavailable twice = assertThrows(PoolLock.Unavailable.class, () -> PoolLock.acquire("q", pool));
      assertEquals("pool q (" + pool + ") cannot be opened: another pool of this volumed already has that folder;"
          + " give each pool its own", twice.getMessage());
    }
    PoolLock.acquire("p", pool).close();
  }

  @Test
  void aSymlinkedDotVolumedIsRefusedNamingIt() throws Exception {
    Path pool = Files.createDirectories(dir.resolve("pool"));
    Files.createDirectories(dir.resolve("elsewhere"));
    Files.createSymbolicLink(pool.resolve(".volumed"), dir.resolve("elsewhere"));
    PoolLock.Unavailable refused = assertThrows(PoolLock.Unavailable.class, () -> PoolLock.acquire("p", pool));
    assertTrue(refused.getMessage().startsWith("pool p (" + pool + ") cannot be opened: "), refused.getMessage());
    assertTrue(refused.getMessage().contains("symbolic link"), refused.getMessage());
  }
}

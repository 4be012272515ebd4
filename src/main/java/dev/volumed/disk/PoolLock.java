package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.volumed.model.VolumeException;
import dev.volumed.settings.PoolSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A pool opened for this process, before anything else runs: its folder made if missing, checked to be
 * a writable folder, {@code .volumed/meta} reached without following a symlink, and an exclusive lock
 * held on {@code .volumed/lock} (which holds the holder's pid) for as long as volumed runs, so a second
 * volumed on the same pool refuses to start instead of sharing its books.
 *
 * <p>The lock is {@code flock(2)}, not Java's {@code FileLock}: that one is an fcntl record lock, owned
 * by the whole process and silently dropped when any descriptor of the file in the process is closed;
 * flock belongs to this one descriptor (O_CLOEXEC, so no mkfs child inherits it) and goes only when it
 * is closed or the process ends.
 */
public final class PoolLock implements AutoCloseable {
  static final String LOCK = ".volumed/lock";

  /** Why a pool cannot be opened: one line naming the pool, its path and the cause. */
  public static final class Unavailable extends Exception {
    Unavailable(String pool, Path path, String cause) {
      super("pool " + pool + " (" + path + ") cannot be opened: " + cause);
    }
  }

  private final int fd;
  private boolean closed;

  private PoolLock(int fd) {
    this.fd = fd;
  }

  /** Opens every pool, in order; if one cannot be opened, those already locked are released again. */
  public static List<PoolLock> acquireAll(List<PoolSettings> pools) throws Unavailable {
    List<PoolLock> held = new ArrayList<>();
    try {
      for (PoolSettings pool : pools) {
        held.add(acquire(pool.name(), pool.path()));
      }
      return held;
    } catch (Unavailable | RuntimeException e) {
      held.forEach(PoolLock::close);
      throw e;
    }
  }

  public static PoolLock acquire(String pool, Path path) throws Unavailable {
    Path root = path.toAbsolutePath().normalize();
    if (Files.exists(root) && !Files.isDirectory(root)) {
      throw new Unavailable(pool, root, "it is not a folder; give the pool a folder's path (made if missing)");
    }
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new Unavailable(pool, root, "cannot create the folder: " + e);
    }
    if (!Files.isWritable(root)) {
      throw new Unavailable(pool, root, "the folder is not writable by volumed (a read-only mount, or no permission)");
    }
    int fd;
    try (PoolDir meta = PoolWalk.walkToFolder(root, ".volumed/meta", true);
         PoolDir dot = PoolWalk.walkToFolder(root, ".volumed", false)) {
      fd = LibC.INSTANCE.openat(dot.fd(), "lock", LibC.O_RDWR | LibC.O_CREAT | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0644);
    } catch (VolumeException e) {
      throw new Unavailable(pool, root, e.getMessage());
    } catch (LastErrorException e) {
      throw new Unavailable(pool, root, "cannot open " + root.resolve(LOCK) + ": " + LibC.describe(e.getErrorCode()));
    }
    try {
      LibC.INSTANCE.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB);
    } catch (LastErrorException e) {
      String holder = holder(fd);
      Descriptor.closeQuietly(fd);
      if (e.getErrorCode() == LibC.EAGAIN && holder.equals(String.valueOf(ProcessHandle.current().pid()))) {
        throw new Unavailable(pool, root, "another pool of this volumed already has that folder; give each pool its own");
      }
      if (e.getErrorCode() == LibC.EAGAIN) {
        throw new Unavailable(pool, root, "another volumed (pid " + holder + ") holds its lock " + root.resolve(LOCK)
            + "; stop that one first, or give this pool another path");
      }
      throw new Unavailable(pool, root, "cannot lock " + root.resolve(LOCK) + ": " + LibC.describe(e.getErrorCode()));
    }
    PoolLock lock = new PoolLock(fd);
    try {
      byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
      LibC.INSTANCE.ftruncate(fd, 0);
      try (Memory buf = new Memory(pid.length)) {
        buf.write(0, pid, 0, pid.length);
        LibC.INSTANCE.write(fd, buf, pid.length);
      }
    } catch (LastErrorException e) {
      lock.close();
      throw new Unavailable(pool, root, "cannot write to " + root.resolve(LOCK) + ": " + LibC.describe(e.getErrorCode()));
    }
    return lock;
  }

  /** The pid the lock file names ("unknown" when it names none yet). */
  private static String holder(int fd) {
    try (Memory buf = new Memory(32)) {
      long n = LibC.INSTANCE.pread(fd, buf, buf.size(), 0);
      String text = new String(buf.getByteArray(0, (int) Math.max(0, n)), StandardCharsets.US_ASCII).trim();
      return text.matches("[0-9]{1,10}") ? text : "unknown";
    } catch (LastErrorException e) {
      return "unknown";
    }
  }

  /** Releases the lock (the file stays: removing it would race with the next volumed taking it). */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      Descriptor.closeQuietly(fd);
    }
  }
}

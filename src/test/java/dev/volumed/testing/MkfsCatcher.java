package dev.volumed.testing;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Makes a real mkfs hang: watches /proc for a mkfs working on an image under a pool and stops it
 * with SIGSTOP. The daemon then waits on a tool that really does not finish.
 */
public final class MkfsCatcher implements AutoCloseable {
  private final Path pool;
  private volatile long stopped = -1;
  private volatile boolean running = true;
  private final Thread watcher;

  private MkfsCatcher(Path pool) {
    this.pool = pool;
    this.watcher = new Thread(this::watch, "mkfs-catcher");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** Starts watching; the first mkfs on an image under {@code pool} is stopped. */
  public static MkfsCatcher watch(Path pool) {
    return new MkfsCatcher(pool);
  }

  /** The pid of the stopped mkfs, waiting up to the limit for one to be caught. */
  public long awaitStopped(Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (stopped < 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    if (stopped < 0) {
      throw new AssertionError("no mkfs on " + pool + " was seen within " + limit);
    }
    return stopped;
  }

  /** Lets the stopped mkfs go on (SIGCONT). */
  public void resume() throws IOException, InterruptedException {
    if (stopped > 0) {
      signal("-CONT", stopped);
    }
  }

  public static boolean isAlive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private void watch() {
    while (running && stopped < 0) {
      try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
        for (Path proc : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
          String cmdline;
          try {
            cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
          } catch (IOException gone) {
            continue;
          }
          if (cmdline.contains("mkfs") && worksUnder(cmdline, pool)) {
            long pid = Long.parseLong(proc.getFileName().toString());
            signal("-STOP", pid);
            // Caught while exiting (a zombie) it would not hold anything up: look for the next one.
            if (isStopped(pid)) {
              stopped = pid;
              return;
            }
          }
        }
      } catch (IOException e) {
        return;
      }
    }
  }

  /** True when the process is stopped by a signal (state T in /proc/PID/stat). */
  private static boolean isStopped(long pid) {
    for (int look = 0; look < 100; look++) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        if (state == 'T' || state == 't') {
          return true;
        }
        if (state == 'Z' || state == 'X') {
          return false;
        }
        Thread.sleep(1); // the signal is delivered asynchronously
      } catch (IOException | InterruptedException gone) {
        return false;
      }
    }
    return false;
  }

  /**
   * True when a process's command line names a file under pool: directly, or through a descriptor
   * path {@code /proc/<pid>/fd/<n>} (how volumed hands an open image to mkfs) that points there.
   */
  public static boolean worksUnder(String cmdline, Path pool) {
    for (String arg : cmdline.split("\0")) {
      if (arg.contains(pool.toString())) {
        return true;
      }
      if (arg.matches("/proc/\\d+/fd/\\d+")) {
        try {
          if (Files.readSymbolicLink(Path.of(arg)).toString().startsWith(pool.toString())) {
            return true;
          }
        } catch (IOException | UnsupportedOperationException gone) {
          // closed meanwhile
        }
      }
    }
    return false;
  }

  /** kill(2) itself: a mkfs of volumed's ext4 layout lasts a few ms, less than starting kill(1) takes. */
  private interface Signals extends Library {
    Signals INSTANCE = Native.load("c", Signals.class);

    int kill(int pid, int signal);
  }

  private static final int SIGCONT = 18;
  private static final int SIGSTOP = 19;

  private static void signal(String signal, long pid) {
    Signals.INSTANCE.kill((int) pid, signal.equals("-STOP") ? SIGSTOP : SIGCONT);
  }

  @Override
  public void close() throws Exception {
    running = false;
    resume();
    watcher.join(1000);
  }
}

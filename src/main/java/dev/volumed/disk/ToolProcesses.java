package dev.volumed.disk;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tools {@link Formatter} needs as processes (an argv list, never a shell), each blocking
 * until the tool ends or its time is up. Output goes to a temporary file, so a chatty tool can never
 * block on a full pipe and no reader thread is needed.
 */
final class ToolProcesses {
  private static final Logger log = LoggerFactory.getLogger(ToolProcesses.class);
  private static final int TAIL_LINES = 20;

  record Result(int exitCode, String output) {}

  /** Every tool this formatter is running now, so that a shutdown can stop them. */
  private final Set<Process> running = ConcurrentHashMap.newKeySet();

  /** Kills every tool still running (at shutdown, after the grace period); returns how many. */
  int killRunning() {
    int killed = 0;
    for (Process p : List.copyOf(running)) {
      p.destroyForcibly();
      killed++;
    }
    return killed;
  }

  static final class TimeoutException extends Exception {
    private static final long serialVersionUID = 1L;
  }

  /**
   * Runs argv with stdin from /dev/null and stdout+stderr into a temp file; returns the exit code and
   * last lines. The tool's working directory is a fresh empty folder of its own, removed afterwards, so
   * a relative name in its arguments resolves to nothing that exists.
   */
  Result run(List<String> argv, Duration limit) throws IOException, TimeoutException {
    Path cwd = Files.createTempDirectory("volumed-cwd-", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    Path out = Files.createTempFile("volumed-mkfs-", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(argv)
          .directory(cwd.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(out.toFile());
      pb.environment().put("LC_ALL", "C"); // messages in a stable language for the error reply
      Process p = pb.start();
      running.add(p);
      try {
        int exit = waitFor(p, limit);
        return new Result(exit, tail(Files.readAllLines(out, StandardCharsets.ISO_8859_1)));
      } finally {
        running.remove(p);
      }
    } finally {
      Files.deleteIfExists(out);
      removeTree(cwd);
    }
  }

  /** Removes the tool's working folder and whatever a tool may have left in it (never following a link). */
  private static void removeTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      log.warn("Could not remove the tools' working folder {}: {}", dir, e.toString());
    }
  }

  private static int waitFor(Process p, Duration limit) throws TimeoutException, IOException {
    try {
      if (p.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS)) {
        return p.exitValue();
      }
      killAndWait(p);
      throw new TimeoutException();
    } catch (InterruptedException e) {
      killAndWait(p);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + p.info().command().orElse("the tool"), e);
    }
  }

  private static void killAndWait(Process p) {
    p.destroyForcibly();
    boolean interrupted = false;
    while (true) {
      try {
        p.waitFor();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // keep waiting: never leave a mkfs running on an image we are about to delete
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The last lines of the output. A tool that rejects its arguments prints the reason first and then
   * its usage text (mkfs.xfs: ~30 lines), which would push the reason out of the tail: it is cut off.
   */
  static String tail(List<String> output) {
    List<String> lines = output;
    for (int i = 0; i < output.size(); i++) {
      if (output.get(i).regionMatches(true, 0, "Usage:", 0, 6) && i > 0) {
        lines = new ArrayList<>(output.subList(0, i));
        lines.add("(usage text omitted)");
        break;
      }
    }
    List<String> last = lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size());
    return String.join("\n", last);
  }

}

package dev.volumed.node;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs the host's tools (losetup, mount, umount, resize2fs, xfs_growfs, btrfs) as processes: an
 * argv list, never a shell. Each runs under {@code setpriv --pdeathsig KILL}, so a tool never
 * outlives volumed: a mount left running after volumed was killed would race the start-up pass
 * that undoes half-made stages. Output goes to a temporary file (no pipe to fill, no reader thread).
 */
public final class HostTools {
  private static final List<String> SYSTEM_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");
  private static final int TAIL_LINES = 10;

  /** A tool's exit code and its last lines of output. */
  public record Result(int exitCode, String output) {}

  private final List<Path> dirs;
  private final Duration limit;

  public HostTools(List<Path> dirs, Duration limit) {
    this.dirs = List.copyOf(dirs);
    this.limit = limit;
  }

  /** The PATH entries, then /usr/sbin, /sbin, /usr/bin, /bin; each tool may run for at most limit. */
  public static HostTools fromPath(Duration limit) {
    Set<String> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          dirs.add(dir);
        }
      }
    }
    dirs.addAll(SYSTEM_DIRS);
    return new HostTools(dirs.stream().map(Path::of).toList(), limit);
  }

  Optional<Path> find(String tool) {
    for (Path dir : dirs) {
      Path candidate = dir.resolve(tool);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Runs the tool with its arguments and insists on exit code 0; otherwise FAILED with its last lines. */
  Result check(String tool, String forWhat, String... args) throws NodeException {
    Result r = run(tool, forWhat, args);
    if (r.exitCode() != 0) {
      throw new NodeException(NodeException.Kind.FAILED, tool + " failed with exit code " + r.exitCode() + " "
          + forWhat + ": " + r.output().strip());
    }
    return r;
  }

  /** Runs the tool with its arguments; the result whatever its exit code. */
  Result run(String tool, String forWhat, String... args) throws NodeException {
    Path path = find(tool).orElseThrow(() -> new NodeException(NodeException.Kind.FAILED,
        tool + " is not installed on this host, and " + forWhat + " needs it"));
    List<String> argv = new ArrayList<>();
    find("setpriv").ifPresent(setpriv -> argv.addAll(List.of(setpriv.toString(), "--pdeathsig", "KILL", "--")));
    argv.add(path.toString());
    argv.addAll(List.of(args));
    try {
      return run(argv);
    } catch (IOException e) {
      throw new NodeException(NodeException.Kind.FAILED, "could not run " + tool + " " + forWhat + ": "
          + e.getMessage(), e);
    }
  }

  private Result run(List<String> argv) throws IOException, NodeException {
    Path out = Files.createTempFile("volumed-node-", ".log");
    try {
      ProcessBuilder builder = new ProcessBuilder(argv)
          .directory(new File("/"))
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectErrorStream(true)
          .redirectOutput(out.toFile());
      builder.environment().put("LC_ALL", "C");
      Process process = builder.start();
      int exit = waitFor(process, argv);
      List<String> lines = Files.readAllLines(out, StandardCharsets.ISO_8859_1);
      return new Result(exit, String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size())));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private int waitFor(Process process, List<String> argv) throws NodeException {
    boolean interrupted = false;
    try {
      if (process.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS)) {
        return process.exitValue();
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    process.destroyForcibly();
    while (true) {
      try {
        process.waitFor();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // keep waiting: a mount still running must not race what comes next
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    throw new NodeException(NodeException.Kind.FAILED, String.join(" ", argv) + " did not finish within " + limit
        + " and was killed");
  }
}

package dev.volumed.disk;

import dev.volumed.model.Labels;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Formats images with the real mkfs tools and probes them with blkid, run by {@link ToolProcesses}
 * (an argv list, never a shell, in an empty working folder of its own). Each call blocks until the
 * tool ends or the timeout kills it.
 */
public final class Formatter {
  private static final Logger log = LoggerFactory.getLogger(Formatter.class);

  private static final List<String> SYSTEM_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern MKE2FS_VERSION = Pattern.compile("mke2fs (\\d+)\\.(\\d+)");

  private final Duration timeout;
  private final List<Path> toolDirs;
  /** mke2fs version per tool path, asked once: it decides whether assume_storage_prezeroed is known. */
  private final Map<Path, Boolean> knowsPrezeroed = new ConcurrentHashMap<>();
  private final ToolProcesses processes = new ToolProcesses();
  /** Told how long each successful mkfs ran (the metrics' histogram); nobody by default. */
  private volatile Timings timings = (fs, nanos) -> {};

  public interface Timings {
    void formatted(FileSystemType fs, long nanos);
  }

  public Formatter(Duration timeout) {
    this(timeout, defaultToolDirs());
  }

  public Formatter(Duration timeout, List<Path> toolDirs) {
    this.timeout = timeout;
    this.toolDirs = List.copyOf(toolDirs);
  }

  public void timeEachFormat(Timings timings) {
    this.timings = timings;
  }

  /** The PATH entries, then /usr/sbin, /sbin, /usr/bin, /bin (mkfs tools often live outside a user's PATH). */
  public static List<Path> defaultToolDirs() {
    Set<String> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        if (!d.isEmpty()) {
          dirs.add(d);
        }
      }
    }
    dirs.addAll(SYSTEM_DIRS);
    return dirs.stream().map(Path::of).toList();
  }

  // ---- tools --------------------------------------------------------------------------------

  public Optional<Path> findTool(FileSystemType fs) {
    return fs.tool().flatMap(this::findExecutable);
  }

  /** How long one tool may run before it is killed (volumed.format.timeout). */
  Duration timeout() {
    return timeout;
  }

  Optional<Path> findExecutable(String name) {
    for (Path dir : toolDirs) {
      Path candidate = dir.resolve(name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Missing tool => UNSUPPORTED, naming the tool and the package to install. */
  public void checkAvailable(FileSystemType fs) throws VolumeException {
    if (fs.tool().isPresent() && findTool(fs).isEmpty()) {
      throw new VolumeException(ErrorCode.UNSUPPORTED, fs.tool().get() + " is not installed on this host; install the package "
          + fs.packageName() + " or choose another file system than " + fs.wireName() + ".");
    }
  }

  // ---- the command line ---------------------------------------------------------------------

  /**
   * The argv that formats image. The image must read as zeros (it was just made by
   * {@link OpenImage#create}), which all three allocations guarantee; that is why the options do not
   * depend on allocation today. It stays a parameter because the right options are a property of it.
   */
  public List<String> command(FileSystemType fs, Path image, String label, List<String> extraArgs, Allocation allocation) {
    if (fs == FileSystemType.NONE) {
      return List.of();
    }
    Path tool = findTool(fs).orElse(Path.of(fs.tool().orElseThrow()));
    List<String> argv = new ArrayList<>();
    argv.add(tool.toString());
    List<String> extra = new ArrayList<>(extraArgs);
    argv.addAll(fs.isExt() ? List.of("-F", "-q", "-E", extendedOptions(tool) + takeExtended(extra)) : baseOptions(fs));
    argv.addAll(ExtLayout.options(fs, extraArgs));
    if (label != null && !label.isEmpty()) {
      argv.add(fs == FileSystemType.VFAT ? "-n" : "-L");
      argv.add(label);
    }
    argv.addAll(extra);
    argv.add(image.toString());
    return List.copyOf(argv);
  }

  /** mke2fs's options that take no value (its getopt string "b:cd:e:g:...": the letters without ':'). */
  private static final String MKE2FS_FLAGS = "cjnqvDFKSV";

  /**
   * mke2fs keeps only the last -E it is given, so a client's -E would silently drop nodiscard (and
   * mke2fs would punch holes into a fallocate'd image). The client's -E values are taken out of args
   * and returned as ",a,b", to follow volumed's own in the one -E (where a later key wins). An
   * option's separate value is skipped as getopt skips it, so a value that reads "-E" stays a value.
   */
  private static String takeExtended(List<String> args) {
    StringBuilder merged = new StringBuilder();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      boolean takesValue = arg.length() == 2 && arg.charAt(0) == '-' && MKE2FS_FLAGS.indexOf(arg.charAt(1)) < 0;
      if (arg.equals("-E") && i + 1 < args.size()) {
        merged.append(',').append(args.get(++i));
        continue;
      }
      rest.add(arg);
      if (takesValue && i + 1 < args.size()) {
        rest.add(args.get(++i));
      }
    }
    args.clear();
    args.addAll(rest);
    return merged.toString();
  }

  /** ext2/3/4 get -F (it is a file, not a block device), -q and -E (see extendedOptions) in command. */
  private static List<String> baseOptions(FileSystemType fs) {
    return switch (fs) {
      // -K: no discard, which would punch holes into (undo) a fallocate'd image.
      case XFS, BTRFS -> List.of("-f", "-q", "-K");
      case EXT4, EXT3, EXT2, VFAT, SWAP, NONE -> List.of();
    };
  }

  /**
   * mke2fs's -E options. nodiscard: mke2fs discards a file by punching holes in it, which silently
   * undoes fallocate. The image already reads as zeros, so nothing needs zeroing:
   * assume_storage_prezeroed (e2fsprogs >= 1.47) skips zeroing inode tables and journal even for ext2
   * and ext3, which have no lazy init, and marks the tables zeroed, so the guest kernel's ext4lazyinit
   * thread does not write them later (which would grow a sparse image by ~1.6% of its size). The lazy_*
   * options do the same for ext4 on older e2fsprogs and are harmless alongside.
   */
  private String extendedOptions(Path tool) {
    String opts = "nodiscard,lazy_itable_init=1,lazy_journal_init=1";
    return knowsPrezeroed(tool) ? opts + ",assume_storage_prezeroed=1" : opts;
  }

  private boolean knowsPrezeroed(Path tool) {
    return knowsPrezeroed.computeIfAbsent(tool, t -> {
      try {
        ToolProcesses.Result r = processes.run(List.of(t.toString(), "-V"), PROBE_TIMEOUT);
        Matcher m = MKE2FS_VERSION.matcher(r.output());
        return m.find() && (Integer.parseInt(m.group(1)) > 1
            || Integer.parseInt(m.group(1)) == 1 && Integer.parseInt(m.group(2)) >= 47);
      } catch (IOException | ToolProcesses.TimeoutException e) {
        log.warn("Could not ask {} for its version, assuming an old one: {}", t, e.toString());
        return false;
      }
    });
  }

  // ---- formatting ---------------------------------------------------------------------------

  /** Formats image (NONE: no-op). Non-zero exit or timeout => FORMAT_FAILED with the tool's last lines. */
  public void format(Path image, FileSystemType fs, String label, List<String> extraArgs, Allocation allocation)
      throws VolumeException {
    Labels.check(fs, label);
    checkExtraArgs(fs, extraArgs);
    if (fs == FileSystemType.NONE) {
      return;
    }
    checkAvailable(fs);
    List<String> argv = command(fs, image, label, extraArgs, allocation);
    String tool = fs.tool().orElseThrow();
    long start = System.nanoTime();
    ToolProcesses.Result r;
    try {
      r = processes.run(argv, timeout);
    } catch (ToolProcesses.TimeoutException e) {
      throw new VolumeException(ErrorCode.FORMAT_FAILED, tool + " timed out after " + describe(timeout)
          + " formatting " + image + " and was killed; the host may be overloaded, or raise the format timeout.");
    } catch (IOException e) {
      throw new VolumeException(ErrorCode.FORMAT_FAILED, "Could not run " + tool + ": " + e.getMessage(), e);
    }
    if (r.exitCode() != 0) {
      throw new VolumeException(ErrorCode.FORMAT_FAILED, tool + " failed with exit code " + r.exitCode()
          + " formatting " + image + " as " + fs.wireName() + ". Its last output:\n" + r.output().strip(),
          Map.of("exitCode", r.exitCode(), "command", argv), null);
    }
    timings.formatted(fs, System.nanoTime() - start);
    log.debug("{} formatted {} in {} ms", tool, image, (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * mkfs runs as volumed's user (often root), so extra arguments must not reach outside the image:
   * no argument may name a file or device (contain '/'), and mke2fs's -d (copy a host folder in) is refused.
   */
  static void checkExtraArgs(FileSystemType fs, List<String> extraArgs) throws VolumeException {
    if (fs == FileSystemType.NONE && !extraArgs.isEmpty()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "A raw volume (fs \"none\") is not formatted; leave mkfsArgs out.");
    }
    for (String arg : extraArgs) {
      if (arg.contains("/") || arg.contains("\0")) {
        throw new VolumeException(ErrorCode.BAD_REQUEST, "The mkfs argument '" + arg
            + "' names a path; mkfsArgs may only tune the new file system, not read or write other files.");
      }
      if (fs.isExt() && (arg.equals("-d") || arg.startsWith("-d"))) {
        throw new VolumeException(ErrorCode.BAD_REQUEST, "The mkfs argument '" + arg
            + "' (copy a host folder into the image) is not allowed in mkfsArgs.");
      }
    }
  }

  // ---- probing ------------------------------------------------------------------------------

  /** blkid probe of an image: TYPE and LABEL; empty when nothing is recognised or blkid is missing. */
  public Optional<Probe> probe(Path image) {
    Optional<Path> blkid = findExecutable("blkid");
    if (blkid.isEmpty()) {
      log.warn("blkid is not installed (package util-linux); cannot recognise {}", image);
      return Optional.empty();
    }
    try {
      ToolProcesses.Result r = processes.run(List.of(blkid.get().toString(), "-o", "udev", "-p", image.toString()), PROBE_TIMEOUT);
      return r.exitCode() == 0 ? Probe.parseBlkid(r.output()) : Optional.empty(); // 2: nothing found
    } catch (IOException | ToolProcesses.TimeoutException e) {
      log.warn("blkid failed on {}: {}", image, e.toString());
      return Optional.empty();
    }
  }

  /** Kills every mkfs or blkid this formatter still runs (at shutdown, after the grace period); returns how many. */
  public int killRunning() {
    return processes.killRunning();
  }

  private static String describe(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }
}

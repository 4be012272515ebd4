package dev.volumed.disk;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tools that change an image in place (resize2fs, e2undo, e2fsck, mkswap, blkid, mount, ...),
 * found where {@link Formatter} finds mkfs and run by {@link ToolProcesses}: an argv list, never a
 * shell. Each runs under {@code setpriv --pdeathsig KILL}, so a tool never outlives volumed: a
 * resize2fs left running after volumed was killed would race the start-up that undoes its work.
 */
final class ChangeTools {
  private final Formatter formatter;
  private final ToolProcesses processes = new ToolProcesses();

  ChangeTools(Formatter formatter) {
    this.formatter = formatter;
  }

  /** The tool's path; UNSUPPORTED naming the package when it is not installed. */
  Path require(String tool, String packageName, String forWhat) throws VolumeException {
    return formatter.findExecutable(tool).orElseThrow(() -> new VolumeException(ErrorCode.UNSUPPORTED,
        tool + " is not installed on this host, and " + forWhat + " needs it; install the package " + packageName));
  }

  /** Runs the tool with its arguments; the result whatever its exit code. */
  ToolProcesses.Result run(String tool, String packageName, String forWhat, List<String> args) throws VolumeException {
    Path path = require(tool, packageName, forWhat);
    List<String> argv = new ArrayList<>();
    formatter.findExecutable("setpriv").ifPresent(setpriv -> argv.addAll(List.of(setpriv.toString(), "--pdeathsig", "KILL", "--")));
    argv.add(path.toString());
    argv.addAll(args);
    try {
      return processes.run(argv, formatter.timeout());
    } catch (ToolProcesses.TimeoutException e) {
      throw new VolumeException(ErrorCode.IO_ERROR, tool + " did not finish " + forWhat + " within "
          + formatter.timeout() + " (volumed.format.timeout) and was killed");
    } catch (IOException e) {
      throw new VolumeException(ErrorCode.IO_ERROR, "could not run " + tool + " for " + forWhat + ": " + e.getMessage(), e);
    }
  }

  /** Runs the tool and insists on exit code 0; otherwise {@code code} with the tool's last lines. */
  ToolProcesses.Result check(ErrorCode code, String tool, String packageName, String forWhat, List<String> args)
      throws VolumeException {
    ToolProcesses.Result r = run(tool, packageName, forWhat, args);
    if (r.exitCode() != 0) {
      throw new VolumeException(code, tool + " failed with exit code " + r.exitCode() + " " + forWhat
          + ". Its last output:\n" + r.output().strip(), Map.of("exitCode", r.exitCode()), null);
    }
    return r;
  }

  /** blkid's value of one tag (UUID, LABEL) of the image, or empty. */
  String blkid(Path device, String tag) throws VolumeException {
    ToolProcesses.Result r = run("blkid", "util-linux", "reading the image's " + tag,
        List.of("-p", "-o", "value", "-s", tag, device.toString()));
    return r.exitCode() == 0 ? r.output().strip() : "";
  }

  /** True when volumed runs as root: mounting (to grow xfs and btrfs) needs it. */
  static boolean root() {
    return LibC.INSTANCE.geteuid() == 0;
  }
}

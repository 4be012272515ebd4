package dev.volumed.disk;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs steps on an image mounted in a mount namespace of its own, so the mount is never seen by
 * the host (nor by systemd or a desktop's automounter), without a shell and without touching the
 * JVM's own namespace: unshare(CLONE_NEWNS) from Java would move threads of the JVM at random.
 *
 * <p>How: {@code unshare --mount --propagation private cat} holds a new private namespace open for
 * as long as its stdin (a pipe from volumed) is open; each step is a separate process that joins it
 * ({@code nsenter -t PID -m TOOL ...}): mount, the grow tool, umount. Closing the pipe ends cat, and
 * with the last process in it the namespace goes, and any mount still in it is dropped by the
 * kernel. When volumed dies (even by SIGKILL) the pipe closes too, so nothing stays mounted.
 */
final class PrivateMount implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PrivateMount.class);

  private final ChangeTools tools;
  private final Process holder;
  private final Path dir;
  private final String pid;
  private boolean mounted;

  private PrivateMount(ChangeTools tools, Process holder, Path dir) {
    this.tools = tools;
    this.holder = holder;
    this.dir = dir;
    this.pid = Long.toString(holder.pid());
  }

  /** Mounts device (an image, through a loop device) on a fresh folder inside a new private namespace. */
  static PrivateMount mount(ChangeTools tools, Path device, String forWhat) throws VolumeException {
    if (!ChangeTools.root()) {
      throw new VolumeException(ErrorCode.UNSUPPORTED, forWhat + " needs the file system mounted, and only root may"
          + " mount; volumed does not run as root here");
    }
    Path unshare = tools.require("unshare", "util-linux", forWhat);
    tools.require("nsenter", "util-linux", forWhat);
    Path cat = tools.require("cat", "coreutils", forWhat);
    Path dir;
    Process holder;
    try {
      dir = Files.createTempDirectory("volumed-mount-", PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwx------")));
      holder = new ProcessBuilder(List.of(unshare.toString(), "--mount", "--propagation", "private", cat.toString()))
          .redirectErrorStream(true).start();
      awaitEcho(holder);
    } catch (IOException e) {
      throw new VolumeException(ErrorCode.IO_ERROR, "cannot make a private mount namespace for " + forWhat + ": "
          + e.getMessage(), e);
    }
    PrivateMount m = new PrivateMount(tools, holder, dir);
    try {
      Path mount = tools.require("mount", "mount", forWhat);
      m.inside(mount, forWhat, List.of("-o", "loop,nosuid,nodev,noexec", device.toString(), dir.toString()));
      m.mounted = true;
      return m;
    } catch (VolumeException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The folder the image is mounted on (inside the namespace). */
  Path dir() {
    return dir;
  }

  /** Runs tool with args inside the namespace; IO_ERROR with its output when it fails. */
  void inside(Path tool, String forWhat, List<String> args) throws VolumeException {
    List<String> argv = new ArrayList<>(List.of("-t", pid, "-m", "--", tool.toString()));
    argv.addAll(args);
    tools.check(ErrorCode.IO_ERROR, "nsenter", "util-linux", forWhat + " (" + tool.getFileName() + ")", argv);
  }

  /**
   * cat echoes a line once it runs, which is after unshare made the namespace: only then may a step
   * join it (joining earlier would join the host's).
   */
  private static void awaitEcho(Process holder) throws IOException {
    OutputStream in = holder.getOutputStream();
    in.write('\n');
    in.flush();
    InputStream out = holder.getInputStream();
    int c = out.read();
    if (c != '\n') {
      throw new IOException("unshare did not start a namespace (it said: " + (char) c
          + new String(out.readNBytes(200)) + ")");
    }
  }

  /** Unmounts (inside), then ends the namespace and removes the folder. */
  @Override
  public void close() {
    if (mounted) {
      try {
        inside(tools.require("umount", "mount", "unmounting"), "unmounting", List.of(dir.toString()));
      } catch (VolumeException e) {
        log.warn("umount of {} in its private namespace failed ({}); the namespace ends, which drops it", dir,
            e.getMessage());
      }
      mounted = false;
    }
    try {
      holder.getOutputStream().close();
      if (!holder.waitFor(30, TimeUnit.SECONDS)) {
        holder.destroyForcibly();
      }
    } catch (IOException e) {
      holder.destroyForcibly();
    } catch (InterruptedException e) {
      holder.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      log.warn("cannot remove the mount folder {}: {}", dir, e.toString());
    }
  }
}

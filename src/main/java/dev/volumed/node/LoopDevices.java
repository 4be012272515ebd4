package dev.volumed.node;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The host's loop devices: attach an image (read-write or read-only), ask which file backs a device
 * (by device and inode, from the loop driver itself: never by the path it shows, which a rename
 * changes), refresh a device's size, detach. Every method blocks.
 */
public final class LoopDevices {
  private static final Path SYS_BLOCK = Path.of("/sys/block");
  /** How often an attach picks another free device when someone else took the one it picked. */
  private static final int ATTEMPTS = 8;

  private final HostTools tools;

  public LoopDevices(HostTools tools) {
    this.tools = tools;
  }

  HostTools tools() {
    return tools;
  }

  /** Receives the device an attach is about to use, before it is used: the caller makes it durable. */
  @FunctionalInterface
  public interface Intent {
    void about(Path device) throws NodeException;
  }

  /**
   * Attaches image to a free loop device and returns it. The device is picked first ({@code losetup
   * -f}) and handed to intent (which records it) before {@code losetup DEVICE IMAGE} binds it, so a
   * crash between the two never leaves a device volumed does not know of. One attach at a time in
   * this process; another process that takes the picked device first makes it pick again.
   */
  public synchronized Path attach(Path image, FileKey key, boolean readOnly, Intent intent) throws NodeException {
    NodeException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      String found = tools.check("losetup", "finding a free loop device", "-f").output().strip();
      if (!found.matches("/dev/loop[0-9]+")) {
        throw new NodeException(NodeException.Kind.FAILED, "losetup -f named no loop device: " + found);
      }
      Path device = Path.of(found);
      intent.about(device);
      List<String> args = new ArrayList<>();
      if (readOnly) {
        args.add("--read-only");
      }
      args.addAll(List.of(device.toString(), image.toString()));
      HostTools.Result r = tools.run("losetup", "attaching " + image, args.toArray(String[]::new));
      if (r.exitCode() == 0) {
        if (!backing(device).map(key::equals).orElse(false)) {
          detachQuietly(device);
          throw new NodeException(NodeException.Kind.FAILED, image + " was replaced while " + device
              + " was being attached to it");
        }
        return device;
      }
      last = new NodeException(NodeException.Kind.FAILED, "losetup failed with exit code " + r.exitCode()
          + " attaching " + image + " to " + device + ": " + r.output().strip());
      if (backing(device).isEmpty() || !r.output().contains("busy")) {
        throw last;
      }
    }
    throw last;
  }

  /** The file backing device, by dev and inode; empty when it is not attached (or not a loop device). */
  public Optional<FileKey> backing(Path device) {
    int fd;
    try {
      fd = NodeLibC.INSTANCE.open(device.toString(), NodeLibC.O_RDONLY | NodeLibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      return Optional.empty();
    }
    try (Memory info = new Memory(NodeLibC.LOOP_INFO64_SIZE)) {
      info.clear();
      NodeLibC.INSTANCE.ioctl(fd, NodeLibC.LOOP_GET_STATUS64, info);
      return Optional.of(new FileKey(info.getLong(0), info.getLong(8)));
    } catch (LastErrorException e) {
      return Optional.empty(); // ENXIO: not attached
    } finally {
      try {
        NodeLibC.INSTANCE.close(fd);
      } catch (LastErrorException e) {
        // nothing was written through it
      }
    }
  }

  /** Every attached loop device backed by the file, by name. */
  public List<Path> backedBy(FileKey key) {
    List<Path> devices = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(SYS_BLOCK, "loop*")) {
      for (Path entry : entries) {
        Path device = Path.of("/dev", entry.getFileName().toString());
        if (Files.exists(entry.resolve("loop/backing_file")) && backing(device).map(key::equals).orElse(false)) {
          devices.add(device);
        }
      }
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
    devices.sort(null);
    return devices;
  }

  /** Detaches device (the kernel lets go of it once the last user closes it). */
  public void detach(Path device) throws NodeException {
    tools.check("losetup", "detaching " + device, "-d", device.toString());
  }

  private void detachQuietly(Path device) {
    try {
      detach(device);
    } catch (NodeException e) {
      // the caller's failure says what went wrong first
    }
  }

  /** Has the loop driver read the backing file's size again (after the image grew). */
  public void refresh(Path device) throws NodeException {
    tools.check("losetup", "refreshing the size of " + device, "-c", device.toString());
  }

  /** The device's size in bytes, as the kernel sees it now. */
  public long sizeBytes(Path device) throws NodeException {
    return Long.parseLong(sys(device, "size")) * 512;
  }

  /** Whether the device was attached read-only. */
  public boolean readOnly(Path device) throws NodeException {
    return sys(device, "ro").equals("1");
  }

  /** "major:minor" of the device, as mountinfo names the devices of mounts. */
  public String majorMinor(Path device) throws NodeException {
    return sys(device, "dev");
  }

  private static String sys(Path device, String file) throws NodeException {
    Path path = SYS_BLOCK.resolve(device.getFileName().toString()).resolve(file);
    try {
      return Files.readString(path, StandardCharsets.US_ASCII).strip();
    } catch (IOException | RuntimeException e) {
      throw new NodeException(NodeException.Kind.FAILED, "cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}

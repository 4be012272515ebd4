package dev.volumed.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * This host's mounts as the kernel lists them ({@code /proc/self/mountinfo}), and the mount(8) and
 * umount(8) runs that change them. Every method blocks.
 */
public final class Mounts {
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  /** One line of mountinfo: the device ("major:minor"), the root of the mount in it, where, and its options. */
  public record Mount(int id, String majorMinor, String root, Path point, String options, String fsType,
      String source) {
    public boolean readOnly() {
      return List.of(options.split(",")).contains("ro");
    }
  }

  private final HostTools tools;

  public Mounts(HostTools tools) {
    this.tools = tools;
  }

  /** Every mount now, in mount order. */
  public List<Mount> all() throws NodeException {
    List<String> lines;
    try {
      lines = Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new NodeException(NodeException.Kind.FAILED, "cannot read " + MOUNTINFO + ": " + e.getMessage(), e);
    }
    List<Mount> mounts = new ArrayList<>();
    for (String line : lines) {
      parse(line).ifPresent(mounts::add);
    }
    return mounts;
  }

  /** The topmost mount at point (the one a path lookup reaches), if any. */
  public Optional<Mount> at(Path point) throws NodeException {
    Mount top = null;
    for (Mount mount : all()) {
      if (mount.point().equals(point)) {
        top = mount;
      }
    }
    return Optional.ofNullable(top);
  }

  /**
   * "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue": the optional
   * fields end at "-"; spaces and other odd bytes in paths are written as octal escapes (\040).
   */
  static Optional<Mount> parse(String line) {
    String[] fields = line.split(" ");
    int dash = List.of(fields).indexOf("-");
    if (fields.length < 7 || dash < 6 || fields.length < dash + 3) {
      return Optional.empty();
    }
    try {
      return Optional.of(new Mount(Integer.parseInt(fields[0]), fields[2], unescape(fields[3]),
          Path.of(unescape(fields[4])), fields[5], fields[dash + 1], unescape(fields[dash + 2])));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static String unescape(String field) {
    byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\\' && isOctal(bytes, i + 1)) {
        raw.write(Integer.parseInt(new String(bytes, i + 1, 3, StandardCharsets.US_ASCII), 8));
        i += 3;
      } else {
        raw.write(bytes[i]);
      }
    }
    return raw.toString(StandardCharsets.UTF_8);
  }

  private static boolean isOctal(byte[] bytes, int from) {
    if (from + 3 > bytes.length) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      if (bytes[i] < '0' || bytes[i] > '7') {
        return false;
      }
    }
    return true;
  }

  /** Mounts the file system on device at point: {@code mount -t FS [-o OPTIONS] DEVICE POINT}. */
  public void mount(Path device, Path point, String fsType, List<String> options) throws NodeException {
    List<String> args = new ArrayList<>(List.of("-t", fsType));
    if (!options.isEmpty()) {
      args.addAll(List.of("-o", String.join(",", options)));
    }
    args.addAll(List.of(device.toString(), point.toString()));
    tools.check("mount", "mounting " + device + " at " + point, args.toArray(String[]::new));
  }

  /** Binds source (a folder or a device file) onto point, read-only when asked (bind, then remount ro). */
  public void bind(Path source, Path point, boolean readOnly) throws NodeException {
    tools.check("mount", "binding " + source + " onto " + point, "--bind", source.toString(), point.toString());
    if (readOnly) {
      tools.check("mount", "making " + point + " read-only", "-o", "remount,bind,ro", point.toString());
    }
  }

  /** Unmounts the topmost mount at point. */
  public void unmount(Path point) throws NodeException {
    tools.check("umount", "unmounting " + point, point.toString());
  }
}

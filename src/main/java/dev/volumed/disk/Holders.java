package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.volumed.model.Holder;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What holds an image open now, found by its device and inode (never by its name, which a VM's
 * runner may know by another path, or which may have been renamed): every process with an open
 * descriptor on it ({@code /proc/<pid>/fd}) or a mapping of it ({@code /proc/<pid>/maps}), and every
 * loop device backed by it. volumed's own process is never a holder: its descriptors on an image
 * are the very work it does on it. What vanishes or cannot be read during the scan (a process that
 * ends, another user's process when volumed is not root) is skipped. Every method blocks.
 */
public final class Holders {
  /** _IO('L', 0x05): struct loop_info64, whose lo_device (u64 at 0) and lo_inode (u64 at 8) name the backing file. */
  private static final long LOOP_GET_STATUS64 = 0x4C05;
  private static final int LOOP_INFO64_SIZE = 232;
  private static final Path PROC = Path.of("/proc");
  private static final Path SYS_BLOCK = Path.of("/sys/block");

  private Holders() {}

  /** The holders of the volume name under the pool, reached without following a symlink; none when nothing is there. */
  public static List<Holder> of(Path poolRoot, String name) throws VolumeException {
    Optional<FileId> id;
    try (PoolDir folder = PoolWalk.walk(poolRoot, name, false)) {
      id = Optional.of(FileId.statx(folder.fd(), PoolWalk.leafOf(name), LibC.AT_SYMLINK_NOFOLLOW));
    } catch (VolumeException e) {
      if (e.code() != dev.volumed.model.ErrorCode.NOT_FOUND) {
        throw e;
      }
      id = Optional.empty();
    } catch (LastErrorException e) {
      if (e.getErrorCode() != LibC.ENOENT) {
        throw Errors.errno(e.getErrorCode(), "Cannot inspect " + poolRoot.resolve(name));
      }
      id = Optional.empty();
    }
    return id.map(Holders::of).orElse(List.of());
  }

  /**
   * BUSY naming every holder when the volume is in use, for the ops that must not touch a held
   * image (delete, preallocate full, resize, reclaim); nothing when it is not.
   */
  public static void refuseIfHeld(Path poolRoot, String name, String pool, String op) throws VolumeException {
    refuse(of(poolRoot, name), name, pool, op);
  }

  /** The same for an image this process has open as fd: its very file, so no rename slips between. */
  static void refuseIfHeld(int fd, String name, String pool, String op) throws VolumeException {
    refuse(of(FileId.of(fd)), name, pool, op);
  }

  private static void refuse(List<Holder> holders, String name, String pool, String op) throws VolumeException {
    if (!holders.isEmpty()) {
      throw Holder.inUse(op, name, pool, holders);
    }
  }

  /** Processes first (by pid), then loop devices (by name). */
  static List<Holder> of(FileId image) {
    List<Holder> holders = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    for (long pid : pids()) {
      if (pid != self && (holdsDescriptor(pid, image) || maps(pid, image))) {
        holders.add(new Holder.Process(pid, command(pid)));
      }
    }
    holders.addAll(loopDevices(image));
    return holders;
  }

  private static List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
          pids.add(Long.parseLong(name));
        }
      }
    } catch (IOException e) {
      return List.of();
    }
    pids.sort(null);
    return pids;
  }

  /** An open descriptor of pid on the image: its link is read first, so sockets and pipes cost no stat. */
  private static boolean holdsDescriptor(long pid, FileId image) {
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(pid + "/fd"))) {
      for (Path fd : fds) {
        if (isFile(fd) && image.equals(stat(fd))) {
          return true;
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended, or is not ours to read
    }
    return false;
  }

  private static boolean isFile(Path link) {
    try {
      return Files.readSymbolicLink(link).toString().startsWith("/");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** dev and inode of what link points to (a /proc magic link reaches the open file itself, deleted or not). */
  private static FileId stat(Path link) {
    try {
      Map<String, Object> attrs = Files.readAttributes(link, "unix:dev,ino");
      return new FileId((Long) attrs.get("dev"), (Long) attrs.get("ino"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * A mapping of the image in pid: a line of /proc/pid/maps with its inode, on its device; where
   * the device there differs (btrfs shows the file system's, stat the subvolume's), the mapping's
   * own link under map_files decides.
   */
  private static boolean maps(long pid, FileId image) {
    String maps;
    try {
      maps = Files.readString(PROC.resolve(pid + "/maps"), StandardCharsets.ISO_8859_1);
    } catch (IOException | RuntimeException e) {
      return false;
    }
    String device = Long.toHexString(image.major()) + ":" + Long.toHexString(image.minor());
    String inode = Long.toString(image.ino());
    if (!maps.contains(" " + inode + " ")) {
      return false; // the usual case, found without splitting a JVM's thousands of lines
    }
    for (String line : maps.split("\n")) {
      String[] fields = line.trim().split("\\s+", 6);
      if (fields.length < 5 || !fields[4].equals(inode)) {
        continue;
      }
      if (sameDevice(fields[3], device) || image.equals(stat(PROC.resolve(pid + "/map_files/" + fields[0])))) {
        return true;
      }
    }
    return false;
  }

  /** "08:01" against "8:1": the same major and minor, whatever the zero padding. */
  private static boolean sameDevice(String field, String device) {
    String[] a = field.split(":");
    String[] b = device.split(":");
    try {
      return a.length == 2 && Long.parseLong(a[0], 16) == Long.parseLong(b[0], 16)
          && Long.parseLong(a[1], 16) == Long.parseLong(b[1], 16);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static String command(long pid) {
    try {
      return Files.readString(PROC.resolve(pid + "/comm"), StandardCharsets.UTF_8).strip();
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** The attached loop devices (those with a backing_file) whose backing file is the image. */
  private static List<Holder> loopDevices(FileId image) {
    List<Holder> devices = new ArrayList<>();
    List<Path> loops = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(SYS_BLOCK, "loop*")) {
      entries.forEach(loops::add);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
    loops.sort(null);
    for (Path loop : loops) {
      Path backing = loop.resolve("loop/backing_file");
      if (Files.exists(backing) && backedBy(loop.getFileName().toString(), backing, image)) {
        devices.add(new Holder.LoopDevice("/dev/" + loop.getFileName()));
      }
    }
    return devices;
  }

  /**
   * Asks the loop driver which inode backs the device (exact); where /dev/loopN cannot be opened
   * (not root), the backing file's path is looked at instead: the image it names now, if any.
   */
  private static boolean backedBy(String loop, Path backingFile, FileId image) {
    Optional<FileId> exact = loopStatus(Path.of("/dev", loop));
    if (exact.isPresent()) {
      return exact.get().equals(image);
    }
    try {
      String path = Files.readString(backingFile, StandardCharsets.UTF_8).strip();
      // A backing file unlinked since is shown as "PATH (deleted)": another inode than a linked image's.
      return !path.endsWith(" (deleted)") && image.equals(stat(Path.of(path)));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static Optional<FileId> loopStatus(Path device) {
    int fd;
    try {
      fd = LibC.INSTANCE.open(device.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
    } catch (LastErrorException e) {
      return Optional.empty();
    }
    try (Memory info = new Memory(LOOP_INFO64_SIZE)) {
      info.clear();
      LibC.INSTANCE.ioctl(fd, LOOP_GET_STATUS64, info);
      return Optional.of(new FileId(info.getLong(0), info.getLong(8)));
    } catch (LastErrorException e) {
      return Optional.empty(); // ENXIO: detached meanwhile
    } finally {
      Descriptor.closeQuietly(fd);
    }
  }
}

package dev.volumed.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a node test left on the host, read the way an operator would: the mount points of
 * /proc/self/mountinfo and {@code losetup -j IMAGE}. {@link #cleanUp} takes it all away, for
 * {@code @AfterEach}, whatever the test did.
 */
public final class HostMounts {
  private HostMounts() {}

  /** Mount points at or under dir, in mount order. */
  public static List<Path> under(Path dir) throws IOException {
    List<Path> points = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
      Path point = Path.of(line.split(" ")[4].replace("\\040", " "));
      if (point.startsWith(dir)) {
        points.add(point);
      }
    }
    return points;
  }

  /** The loop devices backed by image, as {@code losetup -j} lists them. */
  public static List<String> loopsOf(Path image) throws Exception {
    Guest.Run r = Guest.run("losetup", "-j", image.toString());
    return r.output().lines().filter(l -> l.startsWith("/dev/loop")).map(l -> l.substring(0, l.indexOf(':'))).toList();
  }

  /** Unmounts everything under dir (last first) and detaches every loop device backed by a file under pool. */
  public static void cleanUp(Path dir, Path pool) throws Exception {
    List<Path> points = under(dir);
    for (int i = points.size() - 1; i >= 0; i--) {
      Guest.run("umount", "-l", points.get(i).toString());
    }
    if (!Files.isDirectory(pool)) {
      return;
    }
    try (Stream<Path> files = Files.walk(pool)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        for (String loop : loopsOf(file)) {
          Guest.run("losetup", "-d", loop);
        }
      }
    }
  }
}

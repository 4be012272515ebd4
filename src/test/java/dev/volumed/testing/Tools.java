package dev.volumed.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;

/** Tests that need a host tool skip, with the reason, where it is not installed (CI installs them all). */
public final class Tools {
  private static final Map<String, String> PACKAGES = Map.ofEntries(
      Map.entry("mkfs.ext4", "e2fsprogs"), Map.entry("mkfs.ext3", "e2fsprogs"), Map.entry("mkfs.ext2", "e2fsprogs"),
      Map.entry("e2fsck", "e2fsprogs"), Map.entry("mkfs.xfs", "xfsprogs"), Map.entry("mkfs.btrfs", "btrfs-progs"),
      Map.entry("mkfs.vfat", "dosfstools"), Map.entry("mkswap", "util-linux"), Map.entry("blkid", "util-linux"),
      Map.entry("fallocate", "util-linux"), Map.entry("setpriv", "util-linux"), Map.entry("mount", "mount"),
      Map.entry("promtool", "prometheus"), Map.entry("prometheus", "prometheus"),
      Map.entry("resize2fs", "e2fsprogs"), Map.entry("e2undo", "e2fsprogs"), Map.entry("xfs_growfs", "xfsprogs"),
      Map.entry("xfs_repair", "xfsprogs"), Map.entry("btrfs", "btrfs-progs"), Map.entry("unshare", "util-linux"),
      Map.entry("nsenter", "util-linux"), Map.entry("debugfs", "e2fsprogs"));

  private Tools() {}

  /** Skips the calling test (or class, from {@code @BeforeAll}) unless every tool is installed. */
  public static void assumeInstalled(String... tools) {
    for (String tool : tools) {
      Assumptions.assumeTrue(installed(tool), tool + " is not installed; install the package "
          + PACKAGES.getOrDefault(tool, tool) + " (.ci/run does)");
    }
  }

  /** Every mkfs volumed runs, and blkid. */
  public static void assumeAllFileSystems() {
    assumeInstalled("mkfs.ext4", "mkfs.ext3", "mkfs.ext2", "mkfs.xfs", "mkfs.btrfs", "mkfs.vfat", "mkswap", "blkid");
  }

  private static boolean installed(String tool) {
    Set<String> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(java.util.List.of(path.split(":")));
    }
    dirs.addAll(java.util.List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    return dirs.stream().filter(d -> !d.isEmpty()).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
  }
}

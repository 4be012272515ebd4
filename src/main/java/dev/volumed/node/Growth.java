package dev.volumed.node;

import java.nio.file.Path;

/** Grows a mounted file system to its device's size, online; nothing to do is no error. */
final class Growth {
  private Growth() {}

  static void grow(HostState host, Note stage, Path device) throws NodeException {
    HostTools tools = host.loops().tools();
    String forWhat = "growing the " + stage.fsType() + " file system of " + stage.volumeId();
    switch (stage.fsType()) {
      case "ext4", "ext3" -> tools.check("resize2fs", forWhat, device.toString());
      case "xfs" -> tools.check("xfs_growfs", forWhat, stage.target().toString());
      case "btrfs" -> tools.check("btrfs", forWhat, "filesystem", "resize", "max", stage.target().toString());
      default -> {
        // ext2 and vfat cannot grow while mounted: the device is refreshed, the file system stays as it is.
      }
    }
  }
}

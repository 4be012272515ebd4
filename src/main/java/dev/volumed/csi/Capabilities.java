package dev.volumed.csi;

import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.csi.v1.VolumeCapability.AccessMode.Mode;
import dev.volumed.model.FileSystemType;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which volume capabilities volumed honours. A volume is an image on one host: it may be used from
 * this node only (the single-node access modes), as a block device (the loop device) or mounted
 * with the file system it was made with. Multi-node modes are refused.
 */
final class Capabilities {
  private static final Set<Mode> SINGLE_NODE = EnumSet.of(Mode.SINGLE_NODE_WRITER, Mode.SINGLE_NODE_READER_ONLY,
      Mode.SINGLE_NODE_SINGLE_WRITER, Mode.SINGLE_NODE_MULTI_WRITER);

  private Capabilities() {}

  /** Null when volumed can honour the capability on some volume; else why not. */
  static String problem(VolumeCapability capability) {
    if (!capability.hasAccessMode() || !SINGLE_NODE.contains(capability.getAccessMode().getMode())) {
      String mode = capability.hasAccessMode() ? capability.getAccessMode().getMode().name() : "none";
      return "access mode " + mode + " is not supported: a volumed volume is an image on one host, usable with"
          + " SINGLE_NODE_WRITER, SINGLE_NODE_READER_ONLY, SINGLE_NODE_SINGLE_WRITER or SINGLE_NODE_MULTI_WRITER";
    }
    if (capability.hasBlock()) {
      return null;
    }
    if (!capability.hasMount()) {
      return "a volume capability needs an access type, block or mount";
    }
    String fsType = capability.getMount().getFsType();
    if (fsType.isEmpty()) {
      return null;
    }
    Optional<FileSystemType> fs = FileSystemType.fromWire(fsType);
    if (fs.isEmpty() || !mountable(fs.get())) {
      return "mount fs_type \"" + fsType + "\" is not a file system volumed makes and mounts (ext4, ext3, ext2, xfs,"
          + " btrfs, vfat)";
    }
    return null;
  }

  /** Null when the capability can be honoured on a volume with file system {@code fs}; else why not. */
  static String problem(VolumeCapability capability, FileSystemType fs) {
    String problem = problem(capability);
    if (problem != null || capability.hasBlock()) {
      return problem;
    }
    if (!mountable(fs)) {
      return "the volume has fs " + fs.wireName() + ", which cannot be mounted; use it as a block volume";
    }
    String fsType = capability.getMount().getFsType();
    if (!fsType.isEmpty() && !fsType.equals(fs.wireName())) {
      return "mount fs_type \"" + fsType + "\" differs from the volume's fs " + fs.wireName();
    }
    return null;
  }

  /** INVALID_ARGUMENT unless there is at least one capability and every one can be honoured. */
  static void check(List<VolumeCapability> capabilities) {
    if (capabilities.isEmpty()) {
      throw Statuses.invalid("volume_capabilities are required");
    }
    for (VolumeCapability capability : capabilities) {
      String problem = problem(capability);
      if (problem != null) {
        throw Statuses.invalid(problem);
      }
    }
  }

  /**
   * The fs the capabilities ask for: the mounts' fs_type (INVALID_ARGUMENT when two differ), else
   * "none" when every capability is block, else empty (the pool's default decides).
   */
  static Optional<FileSystemType> fs(List<VolumeCapability> capabilities) {
    Optional<FileSystemType> asked = Optional.empty();
    boolean allBlock = true;
    for (VolumeCapability capability : capabilities) {
      allBlock &= capability.hasBlock();
      if (capability.hasMount() && !capability.getMount().getFsType().isEmpty()) {
        FileSystemType fs = FileSystemType.fromWire(capability.getMount().getFsType()).orElseThrow();
        if (asked.isPresent() && asked.get() != fs) {
          throw Statuses.invalid("the volume capabilities ask for two file systems, " + asked.get().wireName()
              + " and " + fs.wireName());
        }
        asked = Optional.of(fs);
      }
    }
    return asked.isPresent() || !allBlock ? asked : Optional.of(FileSystemType.NONE);
  }

  /** A file system volumed can mount: not "none" (raw) or swap. */
  static boolean mountable(FileSystemType fs) {
    return fs != FileSystemType.NONE && fs != FileSystemType.SWAP;
  }
}

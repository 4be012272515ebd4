package dev.volumed.csi;

import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;

/**
 * How a node call wants a volume, read from its volume_capability: block or mount (with which file
 * system and mount flags), and whether only for reading. Decided here once for stage and publish.
 */
record NodeAccess(boolean block, boolean readOnly, String fsType, List<String> mountFlags) {
  /** Options mount(8) takes with -o that make it do something else than mount the file system on the device. */
  private static final java.util.Set<String> NOT_MOUNT_OPTIONS = java.util.Set.of("bind", "rbind", "move", "remount",
      "loop", "offset", "sizelimit", "X-mount.mkdir", "x-mount.mkdir");

  /** The access a capability asks for; INVALID_ARGUMENT when it is missing or asks for what volumed cannot give. */
  static NodeAccess of(boolean present, VolumeCapability capability) {
    if (!present) {
      throw Statuses.invalid("volume_capability is required");
    }
    boolean block = switch (capability.getAccessTypeCase()) {
      case BLOCK -> true;
      case MOUNT -> false;
      case ACCESSTYPE_NOT_SET -> throw Statuses.invalid("volume_capability needs an access type, block or mount");
    };
    boolean readOnly = switch (capability.getAccessMode().getMode()) {
      case SINGLE_NODE_WRITER, SINGLE_NODE_SINGLE_WRITER, SINGLE_NODE_MULTI_WRITER -> false;
      case SINGLE_NODE_READER_ONLY, MULTI_NODE_READER_ONLY -> true;
      // A volumed volume is a file on this host: no other node can write it.
      case MULTI_NODE_SINGLE_WRITER, MULTI_NODE_MULTI_WRITER -> throw Statuses.invalid("access mode "
          + capability.getAccessMode().getMode() + " is not supported: a volumed volume lives on one host");
      case UNKNOWN, UNRECOGNIZED -> throw Statuses.invalid("volume_capability needs an access mode");
    };
    List<String> flags = block ? List.of() : capability.getMount().getMountFlagsList();
    for (String flag : flags) {
      if (flag.isBlank() || flag.indexOf('\0') >= 0 || flag.indexOf('\n') >= 0 || flag.indexOf(',') >= 0) {
        throw Statuses.invalid("mount flag " + flag.replace("\0", "\\0").replace("\n", "\\n") + " is empty or holds"
            + " a comma, a NUL or a newline: give each option as a flag of its own");
      }
      String option = flag.contains("=") ? flag.substring(0, flag.indexOf('=')) : flag;
      if (NOT_MOUNT_OPTIONS.contains(option)) {
        throw Statuses.invalid("mount flag " + flag + " would change what the mount is (a bind, a move, a remount or"
            + " another loop device), not how the volume's file system is mounted");
      }
    }
    return new NodeAccess(block, readOnly, block ? "" : capability.getMount().getFsType(), flags);
  }

  /**
   * The file system to mount: the volume's own. A capability naming another is refused; a volume
   * with no file system (fs none) or with swap cannot be mounted: volumed never formats at stage,
   * since that would erase what a block consumer wrote.
   */
  String fsFor(Volume volume, String id) {
    FileSystemType fs = volume.spec().fs();
    if (fs == FileSystemType.NONE || fs == FileSystemType.SWAP) {
      throw Status.FAILED_PRECONDITION.withDescription("volume " + id + " has " + (fs == FileSystemType.NONE
          ? "no file system (fs none)" : "a swap area") + ", so it cannot be staged as a mount volume (volumed does"
          + " not format at stage); stage it as a block volume, or make the volume with a file system")
          .asRuntimeException();
    }
    if (!fsType.isEmpty() && !fsType.equals(fs.wireName())) {
      throw Statuses.invalid("volume " + id + " holds " + fs.wireName() + ", not " + fsType
          + "; ask for fs_type " + fs.wireName() + " or leave it empty");
    }
    return fs.wireName();
  }

  /** A required argument: INVALID_ARGUMENT when it is empty. */
  static String required(String value, String field) {
    if (value.isEmpty()) {
      throw Statuses.invalid(field + " is required");
    }
    return value;
  }

  /** A path a call makes something at: absolute, without NUL. */
  static Path absolute(String value, String field) {
    if (value.indexOf('\0') >= 0 || !Path.of(value).isAbsolute()) {
      throw Statuses.invalid(field + " must be an absolute path, not " + value);
    }
    return Path.of(value).normalize();
  }

  /** A path a call looks at: where nothing of volumed's can be (a relative path), the volume is not found. */
  static Path lookedAt(String value, String id) {
    if (value.indexOf('\0') >= 0 || !Path.of(value).isAbsolute()) {
      throw Statuses.notFound("volume " + id + " is not published or staged at " + value
          + ": volumed publishes and stages only at absolute paths");
    }
    return Path.of(value).normalize();
  }

  /** A volume id; NOT_FOUND when it cannot be one of volumed's. */
  static VolumeIds id(String value) {
    return VolumeIds.parse(value).orElseThrow(() -> Statuses.notFound("no volume " + value
        + ": volumed's volume ids are <pool>/<volume name>"));
  }
}

package dev.volumed.model;

import java.util.Optional;

/**
 * What a volume's own shape says of a change in place, before any space is decided: grow only
 * (a smaller size is BAD_REQUEST, shrinking is not supported), never vfat (UNSUPPORTED: no tool
 * grows it), reclaim of sparse volumes only (it would undo a fallocate/full preallocation), and
 * no change at all (resize, reclaim, preallocate) of a damaged volume (its image is not what its
 * metadata says). Empty: go on.
 */
public final class ChangeRules {
  private ChangeRules() {}

  public static Optional<VolumeException> resizeProblem(Volume volume, String pool, long newSize) {
    VolumeSpec spec = volume.spec();
    if (volume.state() == Volume.State.DAMAGED) {
      return damaged(volume, pool);
    }
    if (newSize < spec.size()) {
      return Optional.of(new VolumeException(ErrorCode.BAD_REQUEST, "volume " + spec.name() + " in pool " + pool
          + " is " + spec.size() + " bytes; resize only grows a volume (shrinking is not supported): give a size of at"
          + " least " + spec.size()));
    }
    if (spec.fs() == FileSystemType.VFAT && newSize > spec.size()) {
      return Optional.of(new VolumeException(ErrorCode.UNSUPPORTED, "volume " + spec.name() + " in pool " + pool
          + " is vfat, which volumed cannot grow (no tool grows a FAT file system in place); create a larger"
          + " volume and copy its files over"));
    }
    return Optional.empty();
  }

  public static Optional<VolumeException> reclaimProblem(Volume volume, String pool) {
    VolumeSpec spec = volume.spec();
    if (volume.state() == Volume.State.DAMAGED) {
      return damaged(volume, pool);
    }
    if (spec.allocation() != Allocation.SPARSE) {
      return Optional.of(new VolumeException(ErrorCode.BAD_REQUEST, "volume " + spec.name() + " in pool " + pool
          + " is " + spec.allocation().wireName() + ": its blocks are preallocated on purpose, and reclaim would undo"
          + " that; reclaim is for sparse volumes"));
    }
    return Optional.empty();
  }

  public static Optional<VolumeException> preallocateProblem(Volume volume, String pool) {
    return volume.state() == Volume.State.DAMAGED ? damaged(volume, pool) : Optional.empty();
  }

  private static Optional<VolumeException> damaged(Volume volume, String pool) {
    return Optional.of(new VolumeException(ErrorCode.BAD_REQUEST, "volume " + volume.name() + " in pool " + pool
        + " is damaged (" + volume.damage().orElse("its image does not match its metadata") + "); restore its image"
        + " or delete it before changing it"));
  }
}

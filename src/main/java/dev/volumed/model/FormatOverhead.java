package dev.volumed.model;

import dev.volumed.disk.FileSystemType;
import dev.volumed.settings.Sizes;

/**
 * What formatting a sparse image writes to the host file system, estimated from above: the
 * ledger's third rule admits a sparse volume only while the file system can hold this much.
 * Measured (e2fsprogs 1.47, xfsprogs 6.1, btrfs-progs 6.2) for a 10 GiB image: ext4 4.2 MiB,
 * ext2 3.3 MiB, btrfs 4.6 MiB, xfs 65 MiB (mkfs.xfs writes its whole log), ext3 67 MiB (mke2fs
 * writes the whole journal, whose size grows with the file system up to 1 GiB).
 */
public final class FormatOverhead {
  private FormatOverhead() {}

  public static long estimate(FileSystemType fs, long size) {
    long metadata = 16 * Sizes.MIB + size / 512;
    long estimate = switch (fs) {
      case NONE -> 0;
      case XFS -> metadata + Math.max(64 * Sizes.MIB, size / 2048);
      case EXT3 -> metadata + Math.min(Sizes.GIB, Math.max(64 * Sizes.MIB, size / 128));
      default -> metadata;
    };
    return Math.min(size, estimate);
  }
}

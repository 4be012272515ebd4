package dev.volumed.model;

import dev.volumed.disk.FileSystemType;
import dev.volumed.settings.Sizes;

/**
 * What formatting a sparse image writes to the host file system, estimated from above: the
 * ledger's third rule admits a sparse volume only while the file system can hold this much.
 * With lazy init a 10 GiB ext4 costs a few MiB; xfs and btrfs write their logs and trees.
 */
public final class FormatOverhead {
  private FormatOverhead() {}

  public static long estimate(FileSystemType fs, long size) {
    if (fs == FileSystemType.NONE) {
      return 0;
    }
    return Math.min(size, 16 * Sizes.MIB + size / 512);
  }
}

package dev.volumed.model;

import static dev.volumed.model.MkfsOptions.UNREADABLE;
import static dev.volumed.model.MkfsOptions.plus;
import static dev.volumed.model.MkfsOptions.scaled;
import static dev.volumed.model.MkfsOptions.times;

import dev.volumed.model.FileSystemType;
import dev.volumed.model.Sizes;
import java.util.List;

/**
 * What formatting a sparse image writes to the host file system, estimated from above for every
 * option on the packaged allowlist: the ledger's third rule admits a sparse volume only while the
 * file system can hold this much. Never more than the image's size (a sparse image cannot take
 * more). Measured (e2fsprogs 1.47, xfsprogs 6.1, btrfs-progs 6.2, dosfstools 4.2) for a 10 GiB
 * image with no mkfsArgs: ext4 4.2 MiB, ext2 3.3 MiB, btrfs 4.6 MiB, vfat 10 MiB, xfs 65 MiB
 * (mkfs.xfs writes its whole log), ext3 67 MiB (mke2fs writes the whole journal).
 *
 * <p>Every fs gets 16 MiB plus 1/512 of the size for its fixed metadata; on top of that, what the
 * options that size metadata make it write: the xfs log and allocation group headers, the ext
 * journal (where it is written), superblock backups, group bitmaps, eager inode tables and the
 * orphan file ({@link ExtOverhead}), the FAT tables and reserved sectors of vfat. A value the tool
 * would reject is counted as its worst case.
 */
public final class FormatOverhead {
  static final long MIB = Sizes.MIB;
  /** mkfs.xfs refuses a larger log (XFS_MAX_LOG_BYTES). */
  static final long XFS_MAX_LOG = 2038 * MIB;

  private FormatOverhead() {}

  public static long estimate(VolumeSpec spec) {
    return estimate(spec.fs(), spec.size(), spec.mkfsArgs());
  }

  public static long estimate(FileSystemType fs, long size, List<String> mkfsArgs) {
    MkfsOptions o = new MkfsOptions(mkfsArgs);
    long metadata = 16 * MIB + size / 512;
    long estimate = switch (fs) {
      case NONE -> 0;
      case EXT2, EXT3, EXT4 -> ExtOverhead.estimate(fs, size, o, metadata);
      case XFS -> xfs(size, o, metadata);
      case VFAT -> vfat(size, o);
      case BTRFS, SWAP -> metadata; // at most a few nodes of 64 KiB per tree, or one page
    };
    return Math.min(size, estimate);
  }

  /**
   * mkfs.xfs writes its whole log: -l size= (bytes, or with k/m/g, b for blocks, s for sectors), else
   * the default, at least 64 MiB, 1/2048 of the size, and the minimum log of the block size (measured
   * 2124 blocks at -b size=65536 with rmapbt and reflink); 1 MiB more for rounding to a stripe unit.
   * Each allocation group writes its headers (4 sectors) and btree roots: counted per group when
   * -d agcount= or agsize= asks for more groups than the default.
   */
  private static long xfs(long size, MkfsOptions o, long metadata) {
    long block = o.sub("-b", "size") == null ? 4096 : orWorst(scaled(o.sub("-b", "size"), 1, 1, 1), 65536);
    long sector = o.sub("-s", "size") == null ? 4096 : orWorst(scaled(o.sub("-s", "size"), 1, 1, 1), 32768);
    String logSize = o.sub("-l", "size");
    long log = logSize == null ? Math.max(Math.max(64 * MIB, size / 2048), times(2200, block))
        : Math.min(XFS_MAX_LOG, orWorst(scaled(logSize, 1, block, sector), XFS_MAX_LOG));
    long groups = 0;
    String agcount = o.sub("-d", "agcount");
    String agsize = o.sub("-d", "agsize");
    if (agcount != null || agsize != null) {
      long most = size / (16 * MIB) + 1; // an allocation group is at least 16 MiB
      long perSize = agsize == null ? 0 : scaled(agsize, 1, block, sector);
      long bySize = agsize == null ? 0 : perSize <= 0 ? most : size / perSize + 1;
      long byCount = agcount == null ? 0 : orWorst(scaled(agcount, 1, 1, 1), most);
      groups = Math.min(most, Math.max(byCount, bySize));
    }
    return plus(metadata, log, MIB, times(groups, plus(times(4, sector), times(8, block))));
  }

  /**
   * mkfs.fat writes its reserved sectors (-R, default 32, times -S sector size, default 512), every
   * FAT (-f copies, default 2, of 4 bytes per cluster, clusters of -s sectors or its default for the
   * size) and the root directory (-r entries of 32 bytes). FAT12/16 hold at most 65525 clusters.
   */
  private static long vfat(long size, MkfsOptions o) {
    long sector = o.has("-S") ? orWorst(scaled(o.last("-S"), 1, 1, 1), 512) : 512;
    sector = Math.max(512, sector);
    long clusterBytes = o.has("-s") ? times(orWorst(scaled(o.last("-s"), 1, 1, 1), 1), sector)
        : Math.max(sector, 512 * defaultSectorsPerCluster(size));
    long fats = o.has("-f") ? orWorst(scaled(o.last("-f"), 1, 1, 1), 4) : 2;
    long reserved = times(o.has("-R") ? orWorst(scaled(o.last("-R"), 1, 1, 1), 65535) : 32, sector);
    long root = times(o.has("-r") ? orWorst(scaled(o.last("-r"), 1, 1, 1), 65535) : 512, 32);
    long entries = Math.max(size / Math.max(512, clusterBytes) + 2, 65536);
    return plus(16 * MIB, reserved, times(times(Math.min(fats, 4), entries), 4), root);
  }

  /** mkfs.fat's FAT32 cluster size (in 512-byte sectors) by size; the smaller one at each boundary. */
  private static long defaultSectorsPerCluster(long size) {
    long mib = size / MIB;
    return mib <= 260 ? 1 : mib <= 8192 ? 8 : mib <= 16384 ? 16 : mib <= 32768 ? 32 : 64;
  }

  static long orWorst(long value, long worst) {
    return value == UNREADABLE ? worst : value;
  }
}

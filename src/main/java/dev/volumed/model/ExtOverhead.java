package dev.volumed.model;

import static dev.volumed.model.FormatOverhead.MIB;
import static dev.volumed.model.FormatOverhead.orWorst;
import static dev.volumed.model.MkfsOptions.plus;
import static dev.volumed.model.MkfsOptions.scaled;
import static dev.volumed.model.MkfsOptions.times;

import dev.volumed.model.FileSystemType;
import java.util.List;

/**
 * What mke2fs writes to a sparse image, from above. volumed formats with lazy init and
 * assume_storage_prezeroed, so inode tables are not written; what is (measured, e2fsprogs 1.47):
 * <ul>
 *   <li>per block group up to 4 blocks (bitmaps; ext2/3 write them in every group: -b 1024 -g 256
 *       on 10 GiB wrote 164 MiB);</li>
 *   <li>a superblock and the group descriptor table in each backup group; with -O ^sparse_super or
 *       -r 0 that is every group, which grows with the square of the size (1 TiB wrote 4,130 MiB,
 *       32 GiB of 1 KiB blocks 1,040 MiB);</li>
 *   <li>the whole journal when its inode has no extents (ext3, ext2 with a journal, ext4 -O ^extent:
 *       -J size=4096 wrote 4 GiB) or when lazy_journal_init=0 asks for it;</li>
 *   <li>inode tables when lazy_itable_init=0 asks for them (older e2fsprogs honour it);</li>
 *   <li>the orphan file (-E orphan_file_size=, blocks or with K/M/G/T: 64M wrote 64 MiB).</li>
 * </ul>
 * The block size is -b, else 4096, or also 1024 for images under 512 MiB or with -T (mke2fs.conf's
 * small and floppy types): the larger estimate of the two counts.
 */
final class ExtOverhead {
  private ExtOverhead() {}

  static long estimate(FileSystemType fs, long size, MkfsOptions o, long metadata) {
    List<Long> blockSizes = o.has("-b") ? List.of(orWorst(scaled(o.last("-b"), 1, 1, 1), 1024))
        : o.has("-T") || size < 512 * MIB ? List.of(1024L, 4096L) : List.of(4096L);
    long most = 0;
    for (long block : blockSizes) {
      most = Math.max(most, forBlockSize(fs, size, o, metadata, Math.max(1024, block)));
    }
    return most;
  }

  private static long forBlockSize(FileSystemType fs, long size, MkfsOptions o, long metadata, long block) {
    long blocks = size / block;
    long perGroup = o.has("-g") ? Math.max(256, orWorst(scaled(o.last("-g"), 1, 1, 1), 256)) : 8 * block;
    long groups = blocks / perGroup + 1;
    long descriptorBlocks = times(groups, 64) / block + 1;
    List<String> features = o.items("-O");
    // Without sparse_super (-O ^sparse_super, or -r 0: revision 0 has no features) every group has a backup.
    boolean everyGroup = features.contains("^sparse_super") || o.has("-r") && !"1".equals(o.last("-r"));
    long backups = everyGroup ? groups : sparseBackups(groups);
    long total = plus(metadata, times(times(groups, 4), block), times(times(backups, descriptorBlocks + 1), block));
    if (journalWritten(fs, o, features)) {
      total = plus(total, journalBytes(o, blocks, block, size));
    }
    if ("0".equals(o.sub("-E", "lazy_itable_init"))) {
      total = plus(total, inodeTables(o, size, block));
    }
    String orphan = o.sub("-E", "orphan_file_size");
    if (orphan != null) {
      total = plus(total, orWorst(scaled(orphan.toLowerCase(java.util.Locale.ROOT), block, block, 512), size));
    } else if (features.contains("orphan_file")) {
      total = plus(total, times(512, block)); // the default orphan file: at most 512 blocks
    }
    return total;
  }

  /** Groups 0, 1 and the powers of 3, 5 and 7 hold a superblock backup (sparse_super). */
  private static long sparseBackups(long groups) {
    long count = Math.min(groups, 2);
    for (long base : new long[] {3, 5, 7}) {
      for (long g = base; g < groups; g *= base) {
        count++;
      }
    }
    return count;
  }

  /**
   * The journal is zeroed unless it is an extent-mapped file made lazily: ext3 always, ext2 when
   * anything may give it a journal (-j, -J, -T, a feature), ext4 without extents or with lazy_journal_init=0.
   */
  private static boolean journalWritten(FileSystemType fs, MkfsOptions o, List<String> features) {
    boolean lazyOff = "0".equals(o.sub("-E", "lazy_journal_init"));
    return switch (fs) {
      case EXT3 -> true;
      case EXT2 -> o.has("-j") || o.has("-J") || o.has("-T") || !features.isEmpty() || lazyOff;
      default -> lazyOff || o.has("-T") || features.contains("^extent") || features.contains("^extents");
    };
  }

  /** -J size= (MiB), else mke2fs's default journal for the block count (ext2fs_default_journal_size). */
  private static long journalBytes(MkfsOptions o, long blocks, long block, long size) {
    String asked = o.sub("-J", "size");
    if (asked != null) {
      return asked.matches("[0-9]{1,12}") ? times(Long.parseLong(asked), MIB) : size;
    }
    long journalBlocks = blocks < 32768 ? 1024 : blocks < 256 * 1024 ? 4096 : blocks < 512 * 1024 ? 8192
        : blocks < 4096 * 1024 ? 16384 : blocks < 8192 * 1024 ? 32768 : blocks < 16384 * 1024 ? 65536
        : blocks < 32768 * 1024 ? 131072 : 262144;
    return times(journalBlocks, block);
  }

  /** Inodes (-N, else the size over -i, else over 4096, the smallest mke2fs.conf ratio) times -I (else 256). */
  private static long inodeTables(MkfsOptions o, long size, long block) {
    long ratio = o.has("-i") ? Math.max(1024, orWorst(scaled(o.last("-i"), 1, 1, 1), 1024)) : 4096;
    long inodes = o.has("-N") ? orWorst(scaled(o.last("-N"), 1, 1, 1), size / 1024) : size / ratio;
    long inodeSize = o.has("-I") ? orWorst(scaled(o.last("-I"), 1, 1, 1), block) : 256;
    return times(inodes, Math.min(inodeSize, block));
  }
}

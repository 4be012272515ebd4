package dev.volumed.disk;

import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Allocation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.volumed.model.FormatOverhead;
import dev.volumed.model.Sizes;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Rule 3's estimate bounds what mkfs really writes to a sparse image (st_blocks x 512), for the options
 * on the packaged allowlist that size metadata, each at its largest (or a value that makes mkfs write
 * the most), formatted by the real Formatter with volumed's own options.
 */
class FormatOverheadTest {
  private static final long MIB = Sizes.MIB;
  private static final MkfsArgsPolicy POLICY =
      MkfsArgsPolicy.from(ConfigFactory.load().getConfig("volumed.format.allowed-mkfs-args"));
  private final Formatter formatter = new Formatter(Duration.ofMinutes(2));

  @TempDir Path dir;

  @BeforeAll
  static void needsTools() {
    Tools.assumeAllFileSystems();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource(delimiter = '|', value = {
      "ext4 | 10G |",
      "ext4 | 1T  | -O ^sparse_super,^resize_inode", // a superblock and descriptor table in all 8192 groups
      "ext4 | 32G | -b 1024 -O ^sparse_super,^resize_inode",
      "ext2 | 32G | -b 1024 -r 0",                     // revision 0 has no sparse_super either
      "ext2 | 10G | -b 1024 -g 256",                   // ext2/3 write their bitmaps in all 40960 groups
      "ext3 | 10G | -b 1024 -g 256",
      "ext4 | 10G | -b 1024 -g 256 -O ^flex_bg",
      "ext3 | 3G  | -J size=1024",                     // ext3 writes its whole journal
      "ext3 | 10G | -b 65536",                         // the default journal is 4096 blocks of 64 KiB
      "ext2 | 10G | -j",
      "ext2 | 10G | -T ext3",
      "ext4 | 10G | -O ^extent,^64bit",                // a journal without extents is written
      "ext4 | 10G | -E lazy_itable_init=0,lazy_journal_init=0 -i 4096 -I 1024",
      "ext4 | 10G | -N 5000000 -I 1024",
      "ext4 | 10G | -E orphan_file_size=256M -O orphan_file", // the orphan file is written whole
      "ext4 | 10G | -E resize=4294967295,packed_meta_blocks=1,num_backup_sb=0 -O sparse_super2",
      "ext4 | 10G | -T small",
      "ext4 | 300M |",
      "xfs  | 10G |",
      "xfs  | 10G | -l size=2038m",                    // the largest log mkfs.xfs takes
      "xfs  | 10G | -l size=30000b",
      "xfs  | 10G | -d agcount=150",
      "xfs  | 10G | -b size=65536 -s size=32768 -m rmapbt=1,reflink=1 -i size=2048 -n size=65536 -d agcount=64",
      "xfs  | 1G  | -b size=65536 -n size=65536 -m rmapbt=1,reflink=1",
      "xfs  | 10G | -d su=1m,sw=16 -l su=256k",
      "btrfs | 10G | -n 65536 -s 65536",
      "btrfs | 1T | --nodesize=65536 -m dup",
      "btrfs | 10G | -M",
      "btrfs | 10G | --csum sha256 -d dup",
      "vfat | 10G |",
      "vfat | 40G |",
      "vfat | 600M |",
      "vfat | 10G | -F 32 -s 1 -f 4",                  // the smallest clusters, the most FATs
      "vfat | 20G | -S 32768 -R 65535",                // the most reserved sectors of the largest size
      "vfat | 1G  | -F 16 -r 4096 -f 4",
      "swap | 10G | -p 65536",
  })
  void theEstimateBoundsWhatMkfsWrites(String wire, String size, String args) throws Exception {
    FileSystemType fs = FileSystemType.fromWire(wire).orElseThrow();
    long bytes = Sizes.parse(size);
    List<String> mkfsArgs = args == null ? List.of() : Arrays.asList(args.trim().split(" +"));
    POLICY.check(fs, mkfsArgs);
    Path img = dir.resolve(wire + ".img");
    TestImages.allocate(img, bytes, Allocation.SPARSE, PosixFilePermissions.fromString("rw-------"));
    try {
      formatter.format(img, fs, null, mkfsArgs, Allocation.SPARSE);
      long written = TestImages.allocatedBytes(img);
      long estimate = FormatOverhead.estimate(fs, bytes, mkfsArgs);
      assertTrue(written <= estimate, wire + " " + size + " " + mkfsArgs + " wrote " + written / MIB
          + " MiB, estimated " + estimate / MIB + " MiB");
    } finally {
      Files.deleteIfExists(img);
    }
  }

  @Test
  void theDefaultEstimatesStayClose() {
    // Measured on 10 GiB: ext4 4.2 MiB, ext2 3.3, btrfs 4.6, vfat 10, xfs 65, ext3 67.
    long g10 = 10L << 30;
    assertTrue(FormatOverhead.estimate(FileSystemType.EXT4, g10, List.of()) <= 40 * MIB);
    assertTrue(FormatOverhead.estimate(FileSystemType.EXT2, g10, List.of()) <= 40 * MIB);
    assertTrue(FormatOverhead.estimate(FileSystemType.BTRFS, g10, List.of()) <= 40 * MIB);
    assertTrue(FormatOverhead.estimate(FileSystemType.VFAT, g10, List.of()) <= 40 * MIB);
    assertTrue(FormatOverhead.estimate(FileSystemType.XFS, g10, List.of()) <= 110 * MIB);
    assertTrue(FormatOverhead.estimate(FileSystemType.EXT3, g10, List.of()) <= 110 * MIB);
    assertEquals(0, FormatOverhead.estimate(FileSystemType.NONE, g10, List.of()));
  }

  @Test
  void theEstimateNeverExceedsTheImageAndAnUnreadableValueCountsAsTheWorst() {
    long g1 = 1L << 30;
    assertEquals(g1, FormatOverhead.estimate(FileSystemType.EXT3, g1, List.of("-J", "size=lots")));
    assertEquals(16L << 40, FormatOverhead.estimate(FileSystemType.EXT4, 16L << 40, List.of("-b", "1024", "-O", "^sparse_super")),
        "16 TiB of 1 KiB blocks without sparse_super: more descriptor copies than the image holds");
    assertTrue(FormatOverhead.estimate(FileSystemType.XFS, 10L << 30, List.of("-l", "size=x"))
        >= 2038 * MIB, "an unreadable log size counts as the largest log");
    assertEquals(64 * MIB, FormatOverhead.estimate(FileSystemType.EXT4, 64 * MIB, List.of("-E", "orphan_file_size=9T")));
  }
}

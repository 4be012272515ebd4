package dev.volumed.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Volumes made by cloning a template, checked with e2fsprogs' and util-linux's own readers. */
class CloneTest {
  private static final long GIB = 1L << 30;
  /** What a clone may differ in from a mkfs-made volume of its shape, as dumpe2fs -h names it. */
  static final Set<String> IDENTITY = Set.of("Filesystem volume name", "Filesystem UUID", "Directory Hash Seed",
      "Filesystem created", "Last write time", "Last checked", "Checksum", "Checksum seed", "Filesystem features");

  @TempDir Path dir;
  private Path pool;
  private VolumeBuilder builder;
  private final Formatter formatter = new Formatter(Duration.ofMinutes(2));

  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4", "mkfs.ext3", "mkfs.ext2", "e2fsck", "dumpe2fs", "blkid");
  }

  @BeforeEach
  void setUp() throws Exception {
    pool = Files.createDirectory(dir.resolve("pool"));
    PoolSettings settings = new PoolSettings("default", pool, OptionalLong.empty(), 0, 1000, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    builder = new VolumeBuilder(settings, new PoolStore("default", pool, formatter), formatter);
  }

  private Path create(String name, FileSystemType fs, long size, String label, List<String> args, Allocation a)
      throws Exception {
    builder.create(new VolumeSpec(name, size, fs, Optional.ofNullable(label), args, a));
    return pool.resolve(name);
  }

  private List<String> templates() throws Exception {
    Path folder = pool.resolve(Templates.DIR);
    try (var s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".img")).sorted().toList();
    }
  }

  @ParameterizedTest
  @CsvSource({"ext4, 10, ''", "ext4, 10, -b 1024", "ext3, 1, ''", "ext2, 1, ''", "ext4, 1, -O ^has_journal",
      "ext4, 1, -O ^metadata_csum"})
  void aCloneReadsAsAMkfsMadeVolumeButForItsIdentity(String wire, long gib, String extra) throws Exception {
    FileSystemType fs = FileSystemType.fromWire(wire).orElseThrow();
    List<String> args = extra.isEmpty() ? List.of() : List.of(extra.split(" "));
    create("first.img", fs, gib * GIB, "one", args, Allocation.SPARSE);
    Path clone = create("clone.img", fs, gib * GIB, "data", args, Allocation.SPARSE);
    assertEquals(1, templates().size(), templates().toString());
    Path made = dir.resolve("made.img");
    TestImages.allocate(made, gib * GIB, Allocation.SPARSE, PosixFilePermissions.fromString("rw-------"));
    formatter.format(made, fs, "data", args, Allocation.SPARSE);

    ExtTools.Run fsck = ExtTools.fsck(clone);
    assertEquals(0, fsck.exitCode(), fsck.output());
    Map<String, String> a = ExtTools.superblock(clone);
    Map<String, String> b = ExtTools.superblock(made);
    assertEquals(b.keySet().stream().filter(k -> !IDENTITY.contains(k)).toList(),
        a.keySet().stream().filter(k -> !IDENTITY.contains(k) && b.containsKey(k)).toList());
    Map<String, String> differing = new TreeMap<>();
    for (String key : a.keySet()) {
      if (!a.get(key).equals(b.get(key))) {
        differing.put(key, a.get(key) + " | " + b.get(key));
      }
    }
    System.out.println("dumpe2fs -h differs (" + wire + " " + extra + "): " + differing.keySet());
    assertTrue(IDENTITY.containsAll(differing.keySet()), "differs beyond identity: " + differing);
    assertEquals("data", a.get("Filesystem volume name"));
    assertNotEquals(ExtTools.superblock(pool.resolve("first.img")).get("Filesystem UUID"), a.get("Filesystem UUID"));
    assertEquals(a.get("Filesystem UUID"), ExtTools.blkid(clone, "UUID"));
    assertEquals("data", ExtTools.blkid(clone, "LABEL"));
    if (fs == FileSystemType.EXT4 && !extra.contains("^metadata_csum")) {
      // metadata_csum: the clone keeps its template's checksum seed under metadata_csum_seed.
      assertEquals(Set.of("metadata_csum_seed"), difference(a.get("Filesystem features"), b.get("Filesystem features")));
    } else {
      assertEquals(b.get("Filesystem features"), a.get("Filesystem features"));
    }
    // mke2fs fallocates some ranges (the ext3 journal) that read as zeros: a copy of the data leaves them holes.
    assertTrue(TestImages.allocatedBytes(clone) <= TestImages.allocatedBytes(made),
        TestImages.allocatedBytes(clone) + " > " + TestImages.allocatedBytes(made));
  }

  private static Set<String> difference(String features, String than) {
    Set<String> set = new HashSet<>(List.of(features.split(" ")));
    set.removeAll(List.of(than.split(" ")));
    return set;
  }

  @Test
  void aBackupSuperblockOfACloneCarriesItsIdentity() throws Exception {
    Path clone = create("b.img", FileSystemType.EXT4, 10 * GIB, "b", List.of(), Allocation.SPARSE);
    clone = create("c.img", FileSystemType.EXT4, 10 * GIB, "c", List.of(), Allocation.SPARSE);
    String uuid = ExtTools.superblock(clone).get("Filesystem UUID");
    ExtTools.Run dump = ExtTools.run("dumpe2fs", "-h", "-o", "superblock=884736", "-o", "blocksize=4096", clone.toString());
    assertTrue(dump.output().contains(uuid), dump.output());
  }

  @ParameterizedTest
  @CsvSource({"fallocate", "full"})
  void anAllocatedCloneKeepsItsBlocks(String allocation) throws Exception {
    Allocation a = Allocation.fromWire(allocation).orElseThrow();
    create("x.img", FileSystemType.EXT4, 256L << 20, null, List.of(), a);
    Path clone = create("y.img", FileSystemType.EXT4, 256L << 20, null, List.of(), a);
    assertTrue(TestImages.allocatedBytes(clone) >= 256L << 20, "holes: " + TestImages.allocatedBytes(clone));
    ExtTools.Run fsck = ExtTools.fsck(clone);
    assertEquals(0, fsck.exitCode(), fsck.output());
  }

  @Test
  void aUuidTheClientChoseIsKept() throws Exception {
    String uuid = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
    create("u1.img", FileSystemType.EXT4, GIB, null, List.of("-U", uuid), Allocation.SPARSE);
    Path second = create("u2.img", FileSystemType.EXT4, GIB, null, List.of("-U", uuid), Allocation.SPARSE);
    assertEquals(uuid, ExtTools.blkid(second, "UUID"));
  }

  @Test
  void aTemplateKeepsOnlyItsDataAndOneWithTooMuchDataIsNotKept() throws Exception {
    create("j.img", FileSystemType.EXT3, GIB, null, List.of(), Allocation.SPARSE);
    Path template = pool.resolve(Templates.DIR).resolve(templates().get(0));
    // mke2fs fallocates ext3's 32 MiB journal; the template keeps only the blocks holding data.
    assertTrue(TestImages.allocatedBytes(template) < 2L << 20, "template: " + TestImages.allocatedBytes(template));
    create("o.img", FileSystemType.EXT4, GIB, null, List.of("-O", "orphan_file", "-E", "orphan_file_size=64M"),
        Allocation.SPARSE);
    assertEquals(1, templates().size(), templates().toString());
    assertTrue(ExtTools.features(pool.resolve("o.img")).contains("orphan_file"));
    assertTrue(TestImages.allocatedBytes(pool.resolve("o.img")) >= 64L << 20);
  }

  @Test
  void aShapeWhoseDescriptorChecksumsHangOnTheUuidKeepsMkfs() throws Exception {
    List<String> args = List.of("-O", "^metadata_csum,uninit_bg");
    Path a = create("g1.img", FileSystemType.EXT4, GIB, null, args, Allocation.SPARSE);
    Path b = create("g2.img", FileSystemType.EXT4, GIB, null, args, Allocation.SPARSE);
    assertEquals(List.of(), templates());
    assertNotEquals(ExtTools.blkid(a, "UUID"), ExtTools.blkid(b, "UUID"));
    ExtTools.Run fsck = ExtTools.fsck(b);
    assertEquals(0, fsck.exitCode(), fsck.output());
  }

  @Test
  void aShapeMkfsRefusesIsFormatFailedNamingTheVolumeAndLeavesNothing() throws Exception {
    dev.volumed.model.VolumeException e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.volumed.model.VolumeException.class,
        () -> create("bad.img", FileSystemType.EXT4, GIB, null, List.of("-b", "512"), Allocation.SPARSE));
    assertEquals(dev.volumed.model.ErrorCode.FORMAT_FAILED, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("bad.img") && !e.getMessage().contains(".volumed"), e.getMessage());
    assertEquals(List.of(), templates());
    try (var left = Files.walk(pool)) {
      assertEquals(List.of(), left.filter(Files::isRegularFile).toList());
    }
  }

  @Test
  void aCloneGrowsOfflineTwentyfoldAndStaysClean() throws Exception {
    Tools.assumeInstalled("resize2fs");
    create("g0.img", FileSystemType.EXT4, 10 * GIB, null, List.of(), Allocation.SPARSE);
    Path clone = create("g1.img", FileSystemType.EXT4, 10 * GIB, "grow", List.of(), Allocation.SPARSE);
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(clone.toFile(), "rw")) {
      f.setLength(200 * GIB);
    }
    ExtTools.Run resize = ExtTools.run("resize2fs", clone.toString());
    assertEquals(0, resize.exitCode(), resize.output());
    ExtTools.Run fsck = ExtTools.fsck(clone);
    assertEquals(0, fsck.exitCode(), fsck.output());
    assertEquals(String.valueOf(200 * GIB / 4096), ExtTools.superblock(clone).get("Block count"));
    assertEquals("grow", ExtTools.blkid(clone, "LABEL"));
  }
}

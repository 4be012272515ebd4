package dev.volumed.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import dev.volumed.testing.Tools;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Templates over their life: many clones of one, one made by another mke2fs, one damaged or removed. */
class TemplateLifeTest {
  private static final long GIB = 1L << 30;

  @TempDir Path dir;
  private Path pool;
  private PoolSettings settings;
  private VolumeBuilder builder;
  private final Formatter formatter = new Formatter(Duration.ofMinutes(2));

  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4", "e2fsck", "dumpe2fs", "blkid");
  }

  @BeforeEach
  void setUp() throws Exception {
    pool = Files.createDirectory(dir.resolve("pool"));
    settings = new PoolSettings("default", pool, OptionalLong.empty(), 0, 1000, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    builder = restarted();
  }

  /**
   * The first templates of two shapes made at once in a fresh pool: the sweep of half-made
   * templates on the folder's first use must not remove the other shape's (ChaosTest saw "Cannot
   * rename ... templates/.ext4-....volumed-tmp-...: No such file or directory").
   */
  @Test
  void twoShapesFirstTemplatesMadeAtOnceBothPublish() throws Exception {
    for (int round = 0; round < 12; round++) {
      Path fresh = Files.createDirectory(dir.resolve("fresh" + round));
      PoolSettings one = new PoolSettings("p" + round, fresh, OptionalLong.empty(), 0, 1000, Allocation.SPARSE,
          FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
      VolumeBuilder both = new VolumeBuilder(one, new PoolStore("p" + round, fresh, formatter), formatter);
      java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
      try {
        java.util.concurrent.Future<?> a = two.submit(() -> both.create(new VolumeSpec("a.img", 16L << 20,
            FileSystemType.EXT4, Optional.empty(), List.of(), Allocation.SPARSE)));
        java.util.concurrent.Future<?> b = two.submit(() -> both.create(new VolumeSpec("b.img", 36L << 20,
            FileSystemType.EXT4, Optional.empty(), List.of(), Allocation.SPARSE)));
        a.get();
        b.get();
      } finally {
        two.shutdownNow();
      }
      assertTrue(Files.exists(fresh.resolve("a.img")) && Files.exists(fresh.resolve("b.img")), "round " + round);
    }
  }

  /** A new builder on the same pool: what volumed has after a restart. */
  private VolumeBuilder restarted() {
    return new VolumeBuilder(settings, new PoolStore("default", pool, formatter), formatter);
  }

  private Path create(String name) throws Exception {
    builder.create(new VolumeSpec(name, 10 * GIB, FileSystemType.EXT4, Optional.of(name.substring(0, 3)), List.of(),
        Allocation.SPARSE));
    return pool.resolve(name);
  }

  private Path template() throws Exception {
    try (var s = Files.list(pool.resolve(Templates.DIR))) {
      List<Path> images = s.filter(p -> p.getFileName().toString().endsWith(".img")).toList();
      assertEquals(1, images.size(), images.toString());
      return images.get(0);
    }
  }

  private static Object inode(Path file) throws Exception {
    return Files.readAttributes(file, "unix:ino").get("ino");
  }

  private static void fsckClean(Path image) throws Exception {
    ExtTools.Run fsck = ExtTools.fsck(image);
    assertEquals(0, fsck.exitCode(), image + ": " + fsck.output());
  }

  @Test
  void aHundredClonesHaveAHundredUuidsAndEachChecksMountsAndTakesAFile() throws Exception {
    Set<String> uuids = new HashSet<>();
    Set<String> seeds = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      Path image = create(String.format("v%03d.img", i));
      uuids.add(ExtTools.blkid(image, "UUID"));
      seeds.add(ExtTools.superblock(image).get("Directory Hash Seed"));
      fsckClean(image);
    }
    assertEquals(100, uuids.size());
    assertEquals(100, seeds.size());
    Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")) && "root".equals(System.getProperty("user.name")),
        "mounting needs root and loop devices");
    Path mnt = Files.createDirectory(dir.resolve("mnt"));
    for (int i = 0; i < 100; i += 10) {
      Path image = pool.resolve(String.format("v%03d.img", i));
      ExtTools.Run mount = ExtTools.run("mount", "-o", "loop", image.toString(), mnt.toString());
      assertEquals(0, mount.exitCode(), mount.output());
      try {
        Files.writeString(mnt.resolve("hello.txt"), "hello " + i);
        assertEquals("hello " + i, Files.readString(mnt.resolve("hello.txt")));
      } finally {
        ExtTools.Run umount = ExtTools.run("umount", mnt.toString());
        assertEquals(0, umount.exitCode(), umount.output());
      }
      fsckClean(image);
      ExtTools.Run cat = ExtTools.run("debugfs", "-R", "cat /hello.txt", image.toString());
      assertTrue(cat.output().contains("hello " + i), cat.output());
    }
  }

  @Test
  void aTemplateRecordedForAnotherMkfsVersionIsMadeAgain() throws Exception {
    create("a.img");
    Path template = template();
    Object before = inode(template);
    Path record = Path.of(template.toString().replace(".img", ".properties"));
    String real = Files.readString(record);
    Files.writeString(record, real.replaceAll("mkfs-version=.*", "mkfs-version=mke2fs 1.42.9 (28-Dec-2013)"));
    builder = restarted();
    fsckClean(create("b.img"));
    assertNotEquals(before, inode(template()));
    assertTrue(Files.readString(record).contains("mkfs-version=mke2fs 1.4"), Files.readString(record));
    assertTrue(!Files.readString(record).contains("1.42.9"), Files.readString(record));
  }

  @Test
  void aTemplateDamagedBehindVolumedsBackIsMadeAgainNotCloned() throws Exception {
    create("a.img");
    Path template = template();
    Object before = inode(template);
    try (RandomAccessFile f = new RandomAccessFile(template.toFile(), "rw")) {
      f.seek(1024 + 0x20); // s_blocks_per_group of the primary superblock
      f.write("damage".getBytes(StandardCharsets.US_ASCII));
    }
    // The same builder (no restart): the write changed the file, so it is checked again.
    Path b = create("b.img");
    fsckClean(b);
    assertNotEquals(before, inode(template()));
    fsckClean(template());
  }

  @Test
  void aTemplateRemovedBehindVolumedsBackIsMadeAgain() throws Exception {
    create("a.img");
    Files.delete(template());
    fsckClean(create("b.img"));
    fsckClean(template());
    // Without its record a template cannot be checked after a restart: it is made again then.
    Files.delete(Path.of(template().toString().replace(".img", ".properties")));
    builder = restarted();
    fsckClean(create("c.img"));
    assertTrue(Files.exists(Path.of(template().toString().replace(".img", ".properties"))));
  }

  @Test
  void leftoversOfAnInterruptedTemplateGoAtFirstUse() throws Exception {
    create("a.img");
    Path leftover = pool.resolve(Templates.DIR).resolve(TempNames.forLeaf("ext4-0.img"));
    Files.write(leftover, new byte[4096]);
    builder = restarted();
    create("b.img");
    assertTrue(!Files.exists(leftover), "left: " + leftover);
  }
}

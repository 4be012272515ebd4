package dev.volumed.disk;

import dev.volumed.model.FileSystemType;
import dev.volumed.model.Allocation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.settings.PoolSettings;
import dev.volumed.testing.Tools;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names stay inside the pool, also against a folder swapped for a symlink while volumes are being
 * created or deleted: real files, real syscalls, real mkfs.
 */
class PoolConfinementTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4", "mkfs.xfs");
  }

  private static final long MIB = 1 << 20;
  private static final Duration RACE_LIMIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private Path pool;
  private Path outside;
  private VolumeBuilder builder;

  @BeforeEach
  void setUp() throws Exception {
    pool = Files.createDirectory(dir.resolve("pool"));
    outside = Files.createDirectory(dir.resolve("outside"));
    PoolSettings settings = new PoolSettings("default", pool, OptionalLong.empty(), 0, 1000, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    Formatter formatter = new Formatter(Duration.ofSeconds(60));
    builder = new VolumeBuilder(settings, new PoolStore("default", pool, formatter), formatter);
  }

  /** Sparse, so sizes cost nothing: 32 MiB, or 320 MiB for xfs (mkfs.xfs wants more than 300 MB). */
  private static VolumeSpec spec(String name, FileSystemType fs) {
    return new VolumeSpec(name, sizeFor(fs), fs, Optional.empty(), List.of(), Allocation.SPARSE);
  }

  private static long sizeFor(FileSystemType fs) {
    return fs == FileSystemType.XFS ? 320 * MIB : 32 * MIB;
  }

  // ---- static links -------------------------------------------------------------------------

  @Test
  void createRefusesASymlinkedParentFolderAndWritesNothingOutside() throws Exception {
    Files.createSymbolicLink(pool.resolve("vm1"), outside);
    VolumeException e = assertThrows(VolumeException.class, () -> builder.create(spec("vm1/sub/var.img", FileSystemType.EXT4)));
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertTrue(e.getMessage().contains(pool.resolve("vm1").toString()), e.getMessage());
    assertEmpty(outside);
  }

  @Test
  void createRefusesASymlinkedFinalNameAndLeavesItsTargetAlone() throws Exception {
    Path target = Files.writeString(outside.resolve("target.img"), "keep");
    Files.createDirectory(pool.resolve("vm1"));
    Files.createSymbolicLink(pool.resolve("vm1/var.img"), target);
    VolumeException e = assertThrows(VolumeException.class, () -> builder.create(spec("vm1/var.img", FileSystemType.EXT4)));
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertTrue(e.getMessage().contains("var.img"), e.getMessage());
    assertEquals("keep", Files.readString(target));
    assertTrue(Files.isSymbolicLink(pool.resolve("vm1/var.img")));
    try (Stream<Path> left = Files.list(pool.resolve("vm1"))) {
      assertEquals(List.of(pool.resolve("vm1/var.img")), left.toList(), "no temporary file is left");
    }
  }

  @Test
  void deleteThroughASymlinkedFolderIsRefusedAndTheTargetStays() throws Exception {
    Path decoy = Files.writeString(outside.resolve("var.img"), "decoy");
    Files.createSymbolicLink(pool.resolve("vm1"), outside);
    VolumeException e = assertThrows(VolumeException.class, () -> builder.delete("vm1/var.img"));
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertEquals("decoy", Files.readString(decoy));
  }

  @Test
  void createAndDeleteWorkInARealFolder() throws Exception {
    builder.create(spec("vm1/disks/var.img", FileSystemType.EXT4));
    Path image = pool.resolve("vm1/disks/var.img");
    assertTrue(Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS));
    assertEquals(32 * MIB, Files.size(image));
    assertEquals("ext4", new Formatter(Duration.ofSeconds(30)).probe(image).orElseThrow().fs().orElseThrow().wireName());
    assertTrue(Files.isRegularFile(pool.resolve(".volumed/meta/vm1/disks/var.img.json")));
    builder.delete("vm1/disks/var.img");
    assertFalse(Files.exists(image, LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(pool.resolve("vm1"), LinkOption.NOFOLLOW_LINKS), "empty folders are pruned");
    assertFalse(Files.exists(pool.resolve(".volumed/meta/vm1/disks/var.img.json")));
  }

  // ---- races --------------------------------------------------------------------------------

  /**
   * Keeps exchanging pool/vm1 (a real folder) with pool/swap (a symlink to the outside folder) with
   * renameat2(RENAME_EXCHANGE): vm1 is always there, alternately a folder and a link.
   */
  private final class Swapper implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong swaps = new AtomicLong();
    private final Thread thread;
    private volatile Throwable failure;

    Swapper() throws Exception {
      Files.createSymbolicLink(pool.resolve("swap"), outside);
      thread = new Thread(this::run, "swapper");
      thread.start();
    }

    private void run() {
      long deadline = System.nanoTime() + RACE_LIMIT.toNanos();
      try {
        while (running.get() && System.nanoTime() < deadline) {
          exchange();
          swaps.incrementAndGet();
          LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(200_000)); // up to 0.2 ms in each state
        }
      } catch (Throwable t) {
        failure = t;
      }
    }

    private void exchange() {
      LibC.INSTANCE.syscall(LibC.SYS_RENAMEAT2, LibC.AT_FDCWD, pool.resolve("vm1").toString(),
          LibC.AT_FDCWD, pool.resolve("swap").toString(), LibC.RENAME_EXCHANGE);
    }

    long swaps() {
      return swaps.get();
    }

    /** Stops, and leaves the real folder at vm1 again. */
    @Override
    public void close() throws Exception {
      running.set(false);
      thread.join();
      if (failure != null) {
        throw new AssertionError("the swapper failed", failure);
      }
      if (Files.isSymbolicLink(pool.resolve("vm1"))) {
        exchange();
      }
      assertTrue(Files.isDirectory(pool.resolve("vm1"), LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void createsWhileAParentFolderIsSwappedForASymlinkNeverWriteOutsideThePool() throws Exception {
    Files.createDirectory(pool.resolve("vm1"));
    int volumes = 50;
    Map<ErrorCode, AtomicInteger> failures = new ConcurrentHashMap<>();
    List<String> created = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger attempts = new AtomicInteger();
    long swaps;
    ExecutorService workers = Executors.newFixedThreadPool(4);
    try (Swapper swapper = new Swapper()) {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < volumes; i++) {
        // ext4, xfs and raw images: mkfs works on the open file while the folder is being swapped.
        FileSystemType fs = i % 3 == 0 ? FileSystemType.EXT4 : i % 3 == 1 ? FileSystemType.XFS : FileSystemType.NONE;
        String name = "vm1/v" + i + ".img";
        done.add(workers.submit(() -> {
          // A refused create is quick, so refusals cluster while vm1 is a link: try each volume again
          // (a bounded number of times), so that most of them also get through mid-swap.
          for (int attempt = 0; attempt < 50; attempt++) {
            attempts.incrementAndGet();
            try {
              builder.create(spec(name, fs));
              created.add(name);
              return null;
            } catch (VolumeException e) {
              assertTrue(e.code() == ErrorCode.PERMISSION_DENIED || e.code() == ErrorCode.IO_ERROR,
                  name + ": " + e.code() + " " + e.getMessage());
              failures.computeIfAbsent(e.code(), c -> new AtomicInteger()).incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
      swaps = swapper.swaps();
    } finally {
      workers.shutdownNow();
    }
    System.out.printf("create race: %d swaps, %d volumes, %d create attempts, %d created, failures %s%n",
        swaps, volumes, attempts.get(), created.size(), failures);

    assertEmpty(outside);
    assertTrue(swaps > 0, "the folder was never swapped");
    assertTrue(!created.isEmpty(), "no create got through; the race proved nothing");
    for (String name : created) {
      Path image = pool.resolve(name);
      assertTrue(Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS), name + " is not inside the pool");
      assertTrue(Files.size(image) == sizeFor(FileSystemType.XFS) || Files.size(image) == sizeFor(FileSystemType.EXT4));
    }
    try (Stream<Path> inVm1 = Files.list(pool.resolve("vm1"))) {
      assertEquals(created.size(), inVm1.count(), "only published images, no temporary leftovers");
    }
  }

  @Test
  void deletesWhileAParentFolderIsSwappedForASymlinkNeverUnlinkOutsideThePool() throws Exception {
    Files.createDirectory(pool.resolve("vm1"));
    int volumes = 50;
    for (int i = 0; i < volumes; i++) {
      builder.create(spec("vm1/d" + i + ".img", FileSystemType.NONE));
      Files.writeString(outside.resolve("d" + i + ".img"), "decoy " + i); // same name, outside
    }
    Files.createDirectory(pool.resolve("vm1/keep")); // so that vm1 is never pruned away
    Map<ErrorCode, AtomicInteger> failures = new ConcurrentHashMap<>();
    AtomicInteger deleted = new AtomicInteger();
    AtomicInteger attempts = new AtomicInteger();
    long swaps;
    ExecutorService workers = Executors.newFixedThreadPool(4);
    try (Swapper swapper = new Swapper()) {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < volumes; i++) {
        String name = "vm1/d" + i + ".img";
        done.add(workers.submit(() -> {
          // Deletes are quick: try each one again until it gets through, so that many land mid-swap.
          for (int attempt = 0; attempt < 1000; attempt++) {
            attempts.incrementAndGet();
            try {
              builder.delete(name);
              deleted.incrementAndGet();
              return null;
            } catch (VolumeException e) {
              assertTrue(e.code() == ErrorCode.PERMISSION_DENIED || e.code() == ErrorCode.IO_ERROR,
                  name + ": " + e.code() + " " + e.getMessage());
              failures.computeIfAbsent(e.code(), c -> new AtomicInteger()).incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(1, TimeUnit.MINUTES);
      }
      swaps = swapper.swaps();
    } finally {
      workers.shutdownNow();
    }
    System.out.printf("delete race: %d swaps, %d volumes, %d delete attempts, %d deleted, failures %s%n",
        swaps, volumes, attempts.get(), deleted.get(), failures);

    for (int i = 0; i < volumes; i++) {
      assertEquals("decoy " + i, Files.readString(outside.resolve("d" + i + ".img")), "decoy d" + i + " outside");
    }
    try (Stream<Path> left = Files.list(outside)) {
      assertEquals(volumes, left.count());
    }
    assertTrue(swaps > 0, "the folder was never swapped");
    assertTrue(deleted.get() > 0, "no delete got through; the race proved nothing");
    try (Stream<Path> inVm1 = Files.list(pool.resolve("vm1"))) {
      assertEquals(volumes - deleted.get() + 1, inVm1.count(), "refused deletes left their image");
    }
  }

  private static void assertEmpty(Path folder) throws Exception {
    try (Stream<Path> entries = Files.list(folder)) {
      assertEquals(List.of(), entries.toList(), folder + " must stay empty");
    }
  }
}

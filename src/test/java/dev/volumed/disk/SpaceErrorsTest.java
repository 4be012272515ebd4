package dev.volumed.disk;

import dev.volumed.model.Allocation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real out-of-space and no-fallocate file systems: needs root to mount a tmpfs and a loop image. */
class SpaceErrorsTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext2");
  }

  private static final long MIB = 1 << 20;
  private static final Set<PosixFilePermission> MODE_0600 = PosixFilePermissions.fromString("rw-------");
  private static final boolean IS_ROOT = isRoot();

  @TempDir Path dir;
  private final List<Path> mounted = new ArrayList<>();

  @AfterEach
  void unmountAll() throws Exception {
    for (Path mountPoint : mounted) {
      run("umount", mountPoint.toString());
    }
  }

  @Test
  void fallocateAndFullLargerThanTheFileSystemAreInsufficientSpaceAndLeaveNoFile() throws Exception {
    Path mnt = mount("tmpfs", "tmpfs", "size=64m");
    for (Allocation allocation : List.of(Allocation.FALLOCATE, Allocation.FULL)) {
      Path img = mnt.resolve(allocation.wireName() + ".img");
      VolumeException e = assertThrows(VolumeException.class,
          () -> TestImages.allocate(img, 128 * MIB, allocation, MODE_0600));
      assertEquals(ErrorCode.INSUFFICIENT_SPACE, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
      assertFalse(Files.exists(img), "a failed allocation must leave no file");
    }
    try (Stream<Path> left = Files.list(mnt)) {
      assertEquals(0, left.count());
    }
  }

  @Test
  void fallocateOnExt2IsUnsupportedAndSuggestsSparseOrFull() throws Exception {
    Path fsImage = dir.resolve("ext2.img");
    TestImages.allocate(fsImage, 64 * MIB, Allocation.SPARSE, MODE_0600);
    assertEquals(0, run("mkfs.ext2", "-F", "-q", fsImage.toString()));
    Path mnt = mount(fsImage.toString(), "ext2", "loop");
    Path img = mnt.resolve("f.img");
    VolumeException e = assertThrows(VolumeException.class,
        () -> TestImages.allocate(img, 8 * MIB, Allocation.FALLOCATE, MODE_0600));
    assertEquals(ErrorCode.UNSUPPORTED, e.code());
    assertTrue(e.getMessage().contains("\"sparse\"") && e.getMessage().contains("\"full\""), e.getMessage());
    assertFalse(Files.exists(img));
    TestImages.allocate(img, 8 * MIB, Allocation.FULL, MODE_0600); // the suggested alternative works
    assertTrue(TestImages.allocatedBytes(img) >= 8 * MIB);
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private Path mount(String source, String type, String options) throws Exception {
    Assumptions.assumeTrue(IS_ROOT, "needs root to mount tmpfs/loop");
    Path mnt = Files.createDirectory(dir.resolve("mnt-" + mounted.size()));
    int rc = run("mount", "-t", type, "-o", options, source, mnt.toString());
    Assumptions.assumeTrue(rc == 0, "mount -t " + type + " failed (exit " + rc + "); no mount privilege in this sandbox");
    mounted.add(mnt);
    return mnt;
  }

  private static int run(String... argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      return -1;
    }
    if (p.exitValue() != 0) {
      System.err.println(String.join(" ", argv) + ": " + out);
    }
    return p.exitValue();
  }
}

package dev.volumed.disk;

import dev.volumed.model.Allocation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStepsTest {
  private static final long MIB = 1 << 20;
  private static final Set<PosixFilePermission> MODE_0600 = PosixFilePermissions.fromString("rw-------");

  @TempDir Path pool;

  // ---- allocate -----------------------------------------------------------------------------

  @Test
  void sparseImageHasExactSizeAndAlmostNoBlocks() throws Exception {
    Path img = pool.resolve("sparse.img");
    TestImages.allocate(img, 256 * MIB, Allocation.SPARSE, MODE_0600);
    assertEquals(256 * MIB, Files.size(img));
    assertTrue(TestImages.allocatedBytes(img) < MIB, "sparse image should hold no blocks");
  }

  @Test
  void fallocatedImageHasExactSizeAndAllBlocks() throws Exception {
    Path img = pool.resolve("falloc.img");
    TestImages.allocate(img, 64 * MIB + 4096, Allocation.FALLOCATE, MODE_0600);
    assertEquals(64 * MIB + 4096, Files.size(img));
    assertTrue(TestImages.allocatedBytes(img) >= 64 * MIB + 4096);
  }

  @Test
  void fullImageHasExactSizeAllBlocksAndReadsAsZeros() throws Exception {
    Path img = pool.resolve("full.img");
    long size = 9 * MIB + 4096; // not a multiple of the 4 MiB write block
    TestImages.allocate(img, size, Allocation.FULL, MODE_0600);
    assertEquals(size, Files.size(img));
    assertTrue(TestImages.allocatedBytes(img) >= size);
    byte[] bytes = Files.readAllBytes(img);
    for (byte b : bytes) {
      if (b != 0) {
        throw new AssertionError("non-zero byte in a full image");
      }
    }
  }

  @Test
  void allocateSetsExactlyTheGivenModeRegardlessOfUmask() throws Exception {
    Path img = pool.resolve("mode.img");
    Set<PosixFilePermission> mode = PosixFilePermissions.fromString("rw-rw-rw-"); // a umask of 022 would drop w
    TestImages.allocate(img, MIB, Allocation.SPARSE, mode);
    assertEquals(mode, Files.getPosixFilePermissions(img, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void allocateRefusesAnExistingFileAndLeavesItIntact() throws Exception {
    Path img = pool.resolve("taken.img");
    Files.writeString(img, "precious");
    VolumeException e = assertThrows(VolumeException.class,
        () -> TestImages.allocate(img, MIB, Allocation.FULL, MODE_0600));
    assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
    assertEquals("precious", Files.readString(img));
  }

  @Test
  void allocateNeverFollowsASymlinkAtThePath() throws Exception {
    Path target = pool.resolve("target");
    Path link = Files.createSymbolicLink(pool.resolve("link.img"), target);
    VolumeException e = assertThrows(VolumeException.class,
        () -> TestImages.allocate(link, MIB, Allocation.SPARSE, MODE_0600));
    assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
    assertFalse(Files.exists(target, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void allocateInAMissingFolderIsAnIoErrorAndLeavesNothing() {
    Path img = pool.resolve("no-such-folder/x.img");
    VolumeException e = assertThrows(VolumeException.class,
        () -> TestImages.allocate(img, MIB, Allocation.SPARSE, MODE_0600));
    assertEquals(ErrorCode.IO_ERROR, e.code());
    assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
  }

  // ---- reaching a name: the walk every operation takes ------------------------------------------

  /** The image's path as VolumeBuilder.prepare reaches it: walk to its folder, refuse a symlink at its leaf. */
  private Path reach(String name, boolean createParents) throws VolumeException {
    try (PoolDir folder = PoolWalk.walk(pool, name, createParents)) {
      PoolWalk.refuseSymlink(folder, PoolWalk.leafOf(name), name);
      return folder.pathOf(PoolWalk.leafOf(name));
    }
  }

  @Test
  void theWalkCreatesMissingParentFoldersWithMode0755() throws Exception {
    Path p = reach("vm1/disks/var.img", true);
    assertEquals(pool.resolve("vm1/disks/var.img"), p);
    assertTrue(Files.isDirectory(pool.resolve("vm1/disks")));
    assertFalse(Files.exists(p));
    assertEquals(PosixFilePermissions.fromString("rwxr-xr-x"), Files.getPosixFilePermissions(pool.resolve("vm1")));
  }

  @Test
  void theWalkWithoutCreateParentsCreatesNothing() {
    VolumeException e = assertThrows(VolumeException.class, () -> reach("vm1/var.img", false));
    assertEquals(ErrorCode.NOT_FOUND, e.code());
    assertFalse(Files.exists(pool.resolve("vm1")));
  }

  @Test
  void theWalkRefusesEscapesFromThePool() {
    for (String name : new String[] {"../x.img", "vm1/../../x.img", "/etc/passwd", "vm1/./x.img", "vm1//x.img", "", ".."}) {
      VolumeException e = assertThrows(VolumeException.class, () -> reach(name, true), name);
      assertEquals(ErrorCode.INVALID_NAME, e.code(), name);
    }
    assertFalse(Files.exists(pool.resolveSibling("x.img")));
  }

  @Test
  void theWalkRefusesASymlinkedParentFolderAndNamesIt() throws Exception {
    Path outside = Files.createDirectory(pool.resolve("outside"));
    Files.createSymbolicLink(pool.resolve("vm1"), outside);
    VolumeException e = assertThrows(VolumeException.class, () -> reach("vm1/sub/var.img", true));
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertTrue(e.getMessage().contains(pool.resolve("vm1").toString()), e.getMessage());
    assertFalse(Files.exists(outside.resolve("sub")), "nothing may be created through the link");
  }

  @Test
  void theWalkRefusesASymlinkedFinalFile() throws Exception {
    Files.createDirectory(pool.resolve("vm1"));
    Files.createSymbolicLink(pool.resolve("vm1/var.img"), Path.of("/etc/passwd"));
    VolumeException e = assertThrows(VolumeException.class, () -> reach("vm1/var.img", true));
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertTrue(e.getMessage().contains("var.img"), e.getMessage());
  }

  @Test
  void theWalkRefusesAFileWhereAFolderIsNeeded() throws Exception {
    Files.writeString(pool.resolve("vm1"), "x");
    VolumeException e = assertThrows(VolumeException.class, () -> reach("vm1/var.img", true));
    assertEquals(ErrorCode.INVALID_NAME, e.code());
  }

  // ---- temp names ---------------------------------------------------------------------------

  @Test
  void tempPathIsAHiddenSiblingRecognisedAsTemporary() {
    Path fin = pool.resolve("vm1/var.img");
    Path t1 = TestImages.tempPathFor(fin);
    Path t2 = TestImages.tempPathFor(fin);
    assertEquals(fin.getParent(), t1.getParent());
    assertTrue(t1.getFileName().toString().startsWith(".var.img.volumed-tmp-"), t1.toString());
    assertNotEquals(t1, t2);
    assertTrue(TempNames.isTemp(t1.getFileName().toString()));
    assertFalse(TempNames.isTemp("var.img"));
    assertFalse(TempNames.isTemp(".hidden"));
  }

  // ---- publish and delete -------------------------------------------------------------------

  /** Publishing as VolumeBuilder.publish does: rename in the folder without replacing, fsync the folder. */
  private void publish(Path temp, Path fin) throws VolumeException {
    try (PoolDir folder = PoolDir.open(pool)) {
      folder.renameNoReplace(temp.getFileName().toString(), fin.getFileName().toString());
      folder.sync();
    }
  }

  @Test
  void publishRenamesTheTemporaryFile() throws Exception {
    Path fin = pool.resolve("var.img");
    Path tmp = TestImages.tempPathFor(fin);
    TestImages.allocate(tmp, MIB, Allocation.SPARSE, MODE_0600);
    publish(tmp, fin);
    assertTrue(Files.isRegularFile(fin));
    assertFalse(Files.exists(tmp));
    assertEquals(MIB, Files.size(fin));
  }

  @Test
  void publishRefusesAnExistingFinalNameAndLeavesItIntact() throws Exception {
    Path fin = pool.resolve("var.img");
    Files.writeString(fin, "precious");
    Path tmp = TestImages.tempPathFor(fin);
    TestImages.allocate(tmp, MIB, Allocation.SPARSE, MODE_0600);
    VolumeException e = assertThrows(VolumeException.class, () -> publish(tmp, fin));
    assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
    assertEquals("precious", Files.readString(fin, StandardCharsets.UTF_8));
    assertTrue(Files.exists(tmp), "the caller decides what to do with the temporary file");
  }

  @Test
  void publishRefusesASymlinkAtTheFinalName() throws Exception {
    Path fin = pool.resolve("var.img");
    Files.createSymbolicLink(fin, pool.resolve("dangling"));
    Path tmp = TestImages.tempPathFor(fin);
    TestImages.allocate(tmp, MIB, Allocation.SPARSE, MODE_0600);
    assertEquals(ErrorCode.ALREADY_EXISTS, assertThrows(VolumeException.class, () -> publish(tmp, fin)).code());
    assertTrue(Files.isSymbolicLink(fin));
  }

  @Test
  void deleteDurablyRemovesTheFileAndReportsAMissingOne() throws Exception {
    Path img = pool.resolve("vm1/var.img");
    Files.createDirectory(pool.resolve("vm1"));
    TestImages.allocate(img, MIB, Allocation.SPARSE, MODE_0600);
    assertTrue(PoolFiles.deleteDurably(pool, "vm1/var.img"));
    assertFalse(Files.exists(img));
    assertFalse(PoolFiles.deleteDurably(pool, "vm1/var.img"));
    assertFalse(PoolFiles.deleteDurably(pool, "vm2/var.img"), "a missing folder is a missing file");
  }

  @Test
  void deleteDurablyRemovesASymlinkNotItsTarget() throws Exception {
    Path target = Files.writeString(pool.resolve("target"), "keep");
    Path link = Files.createSymbolicLink(pool.resolve("link.img"), target);
    assertTrue(PoolFiles.deleteDurably(pool, "link.img"));
    assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
    assertEquals("keep", Files.readString(target));
  }

  // ---- ownership and measuring --------------------------------------------------------------

  @Test
  void setOwnershipAcceptsNumericIdsAndRefusesUnknownNames() throws Exception {
    Path img = pool.resolve("own.img");
    try (PoolDir folder = PoolDir.open(pool);
         OpenImage image = OpenImage.create(folder, "own.img", MIB, Allocation.SPARSE, MODE_0600)) {
      int uid = (Integer) Files.getAttribute(img, "unix:uid");
      int gid = (Integer) Files.getAttribute(img, "unix:gid");
      image.setOwnership(Integer.toString(uid), Integer.toString(gid));
      image.setOwnership(null, null);
      assertEquals(uid, Files.getAttribute(img, "unix:uid"));
      VolumeException e = assertThrows(VolumeException.class, () -> image.setOwnership("no-such-user-volumed", null));
      assertEquals(ErrorCode.BAD_REQUEST, e.code());
      assertTrue(e.getMessage().contains("no-such-user-volumed"));
      assertEquals(ErrorCode.BAD_REQUEST,
          assertThrows(VolumeException.class, () -> image.setOwnership(null, "no-such-group-volumed")).code());
    }
  }

  @Test
  void allocatedBytesOfTheImageAtANameIsMeasuredThroughTheWalk() throws Exception {
    TestImages.allocate(pool.resolve("falloc.img"), 4 * MIB, Allocation.FALLOCATE, MODE_0600);
    assertEquals(TestImages.allocatedBytes(pool.resolve("falloc.img")), PoolStore.allocatedBytes(pool, "falloc.img"));
    assertTrue(PoolStore.allocatedBytes(pool, "falloc.img") >= 4 * MIB);
    assertThrows(NoSuchFileException.class, () -> PoolStore.allocatedBytes(pool, "missing.img"));
    assertThrows(NoSuchFileException.class, () -> PoolStore.allocatedBytes(pool, "vm9/missing.img"));
  }

  @Test
  void allocatedBytesNeverMeasuresThroughASymlinkedFolder() throws Exception {
    Path outside = Files.createDirectory(pool.resolve("outside"));
    TestImages.allocate(outside.resolve("big.img"), 4 * MIB, Allocation.FALLOCATE, MODE_0600);
    Files.createSymbolicLink(pool.resolve("vm1"), outside);
    IOException e = assertThrows(IOException.class, () -> PoolStore.allocatedBytes(pool, "vm1/big.img"));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
  }

  @Test
  void allocatedBytesOfAMissingFileThrows() {
    assertThrows(IOException.class, () -> TestImages.allocatedBytes(pool.resolve("missing")));
  }
}

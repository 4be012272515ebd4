package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.ptr.IntByReference;
import dev.volumed.model.Capabilities;
import dev.volumed.model.VolumeException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out what a pool's file system can do ({@link Capabilities}) with three scratch files in the
 * pool's {@code .volumed} folder, named as volumed names unfinished work (so a crash leaves
 * nothing that the next probe or start-up does not remove), and removed again. Blocks.
 */
final class CapabilityProbe {
  private static final Logger log = LoggerFactory.getLogger(CapabilityProbe.class);
  private static final String SCRATCH = "capabilities";
  /** _IOW(0x94, 9, int): make the target share the source's blocks. */
  private static final long FICLONE = 0x40049409L;
  private static final long TRUNCATED = 1 << 20;
  private static final long ALLOCATED = 64 << 10;

  private CapabilityProbe() {}

  static Capabilities probe(String pool, Path root) {
    try (PoolDir folder = PoolWalk.walkToFolder(root, ".volumed", true)) {
      removeLeftovers(folder);
      // Three files: btrfs clones only between files alike in NOCOW, and NOCOW sticks only to an empty file.
      String[] names = {TempNames.forLeaf(SCRATCH), TempNames.forLeaf(SCRATCH), TempNames.forLeaf(SCRATCH)};
      try (OpenImage a = OpenImage.createEmpty(folder, names[0]); OpenImage b = OpenImage.createEmpty(folder, names[1]);
          OpenImage c = OpenImage.createEmpty(folder, names[2])) {
        int fd = a.fd();
        LibC.INSTANCE.ftruncate(fd, TRUNCATED);
        boolean holes = a.allocatedBytes() < TRUNCATED;
        boolean fallocate = fallocate(fd);
        boolean reflink = reflink(b.fd(), fd);
        boolean nocow = nocow(c.fd());
        Capabilities found = new Capabilities(holes, fallocate, reflink, nocow);
        log.info("pool {}: its file system can do: {}", pool, found);
        return found;
      } finally {
        for (String name : names) {
          folder.unlinkQuietly(name);
        }
      }
    } catch (VolumeException | LastErrorException | IllegalStateException e) {
      log.warn("pool {}: cannot probe what its file system can do ({}); assuming {}", pool, e.getMessage(),
          Capabilities.ASSUMED);
      return Capabilities.ASSUMED;
    }
  }

  /** Scratch files of a probe that was interrupted. */
  private static void removeLeftovers(PoolDir folder) {
    try (var names = java.nio.file.Files.newDirectoryStream(folder.path(), "." + SCRATCH + "*")) {
      for (Path name : names) {
        if (TempNames.isTemp(name.getFileName().toString())) {
          folder.unlinkQuietly(name.getFileName().toString());
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      log.debug("cannot list {}: {}", folder.path(), e.toString());
    }
  }

  /** FS_NOCOW_FL set on the empty file, and still there when read back. */
  private static boolean nocow(int fd) {
    try {
      IntByReference flags = new IntByReference();
      LibC.INSTANCE.ioctl(fd, LibC.FS_IOC_GETFLAGS, flags);
      flags.setValue(flags.getValue() | LibC.FS_NOCOW_FL);
      LibC.INSTANCE.ioctl(fd, LibC.FS_IOC_SETFLAGS, flags);
      IntByReference after = new IntByReference();
      LibC.INSTANCE.ioctl(fd, LibC.FS_IOC_GETFLAGS, after);
      return (after.getValue() & LibC.FS_NOCOW_FL) != 0;
    } catch (LastErrorException e) {
      return false;
    }
  }

  /** EOPNOTSUPP is the answer no; another failure (a full file system) says nothing, so fallocate is assumed. */
  private static boolean fallocate(int fd) {
    try {
      LibC.INSTANCE.fallocate(fd, 0, 0, ALLOCATED);
      return true;
    } catch (LastErrorException e) {
      return e.getErrorCode() != LibC.EOPNOTSUPP;
    }
  }

  private static boolean reflink(int target, int source) {
    try {
      LibC.INSTANCE.ioctl(target, FICLONE, source);
      return true;
    } catch (LastErrorException e) {
      return false;
    }
  }
}

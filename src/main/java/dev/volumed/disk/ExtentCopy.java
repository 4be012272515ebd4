package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.LongByReference;
import dev.volumed.model.Allocation;
import dev.volumed.model.VolumeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Copies a template into a new image of the same size that reads as zeros. A sparse image shares
 * the template's blocks (FICLONE) where the pool's file system can (xfs with reflink, btrfs), else
 * gets only the template's data extents (SEEK_DATA/SEEK_HOLE), by copy_file_range, which the kernel
 * may also serve by sharing. A fallocate'd or full image keeps its own blocks: the extents are
 * written into them (pread/pwrite), since sharing would give its reserved blocks back.
 */
final class ExtentCopy {
  private static final int BUFFER = 1 << 20;
  /** False once FICLONE failed in this pool: its file system does not share blocks. */
  private final AtomicBoolean mayClone = new AtomicBoolean(true);
  private final AtomicBoolean mayCopyRange = new AtomicBoolean(true);

  record Extent(long offset, long length) {}

  /** The data extents of fd (size bytes), in order. */
  static List<Extent> dataExtents(int fd, long size) {
    List<Extent> extents = new ArrayList<>();
    long at = 0;
    while (at < size) {
      long data;
      try {
        data = CopyCalls.INSTANCE.lseek(fd, at, CopyCalls.SEEK_DATA);
      } catch (LastErrorException e) {
        if (e.getErrorCode() == CopyCalls.ENXIO) {
          break; // only a hole remains
        }
        throw e;
      }
      long hole = CopyCalls.INSTANCE.lseek(fd, data, CopyCalls.SEEK_HOLE);
      extents.add(new Extent(data, hole - data));
      at = hole;
    }
    return extents;
  }

  /**
   * Frees what mke2fs only allocated (fallocate'd ranges, read as zeros, outside the data extents:
   * most of an ext3 journal): a template keeps its data only. Best effort: a file system that
   * cannot punch holes keeps the blocks.
   */
  static void punchOutside(int fd, List<Extent> extents, long size) {
    long at = 0;
    try {
      for (Extent extent : extents) {
        if (extent.offset() > at) {
          LibC.INSTANCE.fallocate(fd, PUNCH_HOLE | KEEP_SIZE, at, extent.offset() - at);
        }
        at = extent.offset() + extent.length();
      }
      if (size > at) {
        LibC.INSTANCE.fallocate(fd, PUNCH_HOLE | KEEP_SIZE, at, size - at);
      }
    } catch (LastErrorException e) {
      // EOPNOTSUPP: the template keeps those blocks.
    }
  }

  private static final int KEEP_SIZE = 0x01;
  private static final int PUNCH_HOLE = 0x02;

  /** Copies template (its extents as listed) into target; errno failures become VolumeExceptions. */
  void copy(int template, List<Extent> extents, int target, Allocation allocation, String what) throws VolumeException {
    try {
      if (allocation == Allocation.SPARSE && mayClone.get()) {
        try {
          smallCopyOnWrite(target);
          CopyCalls.INSTANCE.ioctl(target, CopyCalls.FICLONE, template);
          return;
        } catch (LastErrorException e) {
          if (e.getErrorCode() == LibC.ENOSPC || e.getErrorCode() == LibC.EDQUOT) {
            throw e;
          }
          mayClone.set(false); // EOPNOTSUPP, EXDEV, EINVAL, ENOTTY: not here
        }
      }
      for (Extent extent : extents) {
        if (allocation == Allocation.SPARSE && mayCopyRange.get() && copyRange(template, target, extent)) {
          continue;
        }
        rewrite(template, target, extent);
      }
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot copy the template into " + what);
    }
  }

  /**
   * xfs reserves 32 blocks (its default copy-on-write extent size) for each shared block first
   * written, here for each of the ~10 superblocks the identity rewrites: 1.3 MiB per clone instead
   * of 45 KiB (measured). A hint of one 4 KiB block before sharing avoids that; where the file
   * system has no such hint (btrfs) or refuses the value, nothing changes.
   */
  private static void smallCopyOnWrite(int target) {
    try {
      byte[] attr = new byte[28];
      CopyCalls.INSTANCE.ioctl(target, CopyCalls.FS_IOC_FSGETXATTR, attr);
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(attr).order(java.nio.ByteOrder.nativeOrder());
      b.putInt(0, b.getInt(0) | CopyCalls.FS_XFLAG_COWEXTSIZE);
      b.putInt(16, 4096); // fsx_cowextsize, bytes
      CopyCalls.INSTANCE.ioctl(target, CopyCalls.FS_IOC_FSSETXATTR, attr);
    } catch (LastErrorException e) {
      // Not xfs: the hint does not exist there.
    }
  }

  private boolean copyRange(int template, int target, Extent extent) {
    LongByReference in = new LongByReference(extent.offset());
    LongByReference out = new LongByReference(extent.offset());
    long left = extent.length();
    try {
      while (left > 0) {
        long n = CopyCalls.INSTANCE.copy_file_range(template, in, target, out, left, 0);
        if (n <= 0) {
          throw new LastErrorException(LibC.EINVAL);
        }
        left -= n;
      }
      return true;
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOSPC || e.getErrorCode() == LibC.EDQUOT || e.getErrorCode() == LibC.EFBIG) {
        throw e;
      }
      if (left == extent.length()) {
        mayCopyRange.set(false); // ENOSYS, EXDEV, EOPNOTSUPP: the rest by read and write
        return false;
      }
      throw e;
    }
  }

  private static void rewrite(int template, int target, Extent extent) {
    try (Memory buffer = new Memory(BUFFER)) {
      long done = 0;
      while (done < extent.length()) {
        long want = Math.min(BUFFER, extent.length() - done);
        long n = CopyCalls.INSTANCE.pread(template, buffer, want, extent.offset() + done);
        if (n <= 0) {
          throw new LastErrorException(LibC.EINVAL);
        }
        long written = 0;
        while (written < n) {
          written += CopyCalls.INSTANCE.pwrite(target, buffer.share(written), n - written, extent.offset() + done + written);
        }
        done += n;
      }
    }
  }
}

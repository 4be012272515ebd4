package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.volumed.model.VolumeException;

/**
 * Digs holes where an image's data reads as zeros, as {@code fallocate --dig-holes} does: only
 * the ranges that hold data are read (SEEK_DATA/SEEK_HOLE), and every run of whole 4 KiB blocks
 * of zeros in them is punched (FALLOC_FL_PUNCH_HOLE | KEEP_SIZE). A punched range reads as zeros
 * again, so no byte of the image changes; only its blocks are given back.
 */
final class Holes {
  static final int BLOCK = 4096;
  private static final int CHUNK = 1 << 20;

  private Holes() {}

  /** Punches the zero blocks of the open image; returns the bytes of the ranges punched. */
  static long dig(OpenImage image) throws VolumeException {
    int fd = image.fd();
    long length = image.size();
    long punched = 0;
    try (Memory buffer = new Memory(CHUNK)) {
      long offset = 0;
      while (offset < length) {
        long data = seek(fd, offset, LibC.SEEK_DATA, image);
        if (data < 0 || data >= length) {
          break;
        }
        long hole = Math.min(length, seek(fd, data, LibC.SEEK_HOLE, image));
        punched += digRange(fd, buffer, data - data % BLOCK, hole, image);
        offset = hole;
      }
    }
    image.sync();
    return punched;
  }

  /** Reads [from, to) in chunks and punches each run of zero blocks; a run ends at a block with data. */
  private static long digRange(int fd, Memory buffer, long from, long to, OpenImage image) throws VolumeException {
    long punched = 0;
    long runStart = -1;
    for (long chunk = from; chunk < to; chunk += CHUNK) {
      long want = Math.min(CHUNK, to - chunk);
      long got = read(fd, buffer, want, chunk, image);
      for (long block = 0; block < got; block += BLOCK) {
        long size = Math.min(BLOCK, got - block);
        boolean zero = size == BLOCK && allZero(buffer, block, size);
        if (zero && runStart < 0) {
          runStart = chunk + block;
        } else if (!zero && runStart >= 0) {
          punched += punch(fd, runStart, chunk + block - runStart, image);
          runStart = -1;
        }
      }
      if (got < want) {
        break; // the file ended under us
      }
    }
    if (runStart >= 0) {
      long end = to - (to - runStart) % BLOCK;
      punched += end > runStart ? punch(fd, runStart, end - runStart, image) : 0;
    }
    return punched;
  }

  private static boolean allZero(Memory buffer, long offset, long size) {
    for (long i = 0; i < size; i += 8) {
      if (buffer.getLong(offset + i) != 0) {
        return false;
      }
    }
    return true;
  }

  private static long punch(int fd, long offset, long length, OpenImage image) throws VolumeException {
    try {
      LibC.INSTANCE.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offset, length);
      return length;
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot punch a hole into " + image.path());
    }
  }

  private static long read(int fd, Memory buffer, long count, long offset, OpenImage image) throws VolumeException {
    long done = 0;
    try {
      while (done < count) {
        long n = LibC.INSTANCE.pread(fd, buffer.share(done), count - done, offset + done);
        if (n == 0) {
          break;
        }
        done += n;
      }
      return done;
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot read " + image.path());
    }
  }

  /** lseek for SEEK_DATA/SEEK_HOLE; -1 when there is no data at or after offset (ENXIO). */
  private static long seek(int fd, long offset, int whence, OpenImage image) throws VolumeException {
    try {
      return LibC.INSTANCE.lseek(fd, offset, whence);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENXIO) {
        return -1;
      }
      throw Errors.errno(e.getErrorCode(), "Cannot find the data of " + image.path());
    }
  }
}

package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where an open image has no data yet: its holes ({@code SEEK_HOLE}/{@code SEEK_DATA}: no block
 * at all) and its unwritten extents ({@code FS_IOC_FIEMAP} with {@code FIEMAP_EXTENT_UNWRITTEN}:
 * blocks reserved by fallocate, read as zeros, never written). Both read as zeros, so writing
 * zeros there, or punching a former hole again, never changes what the image reads.
 */
final class Extents {
  /** _IOWR('f', 11, struct fiemap): a 32-byte header, then 56-byte extents. */
  private static final long FS_IOC_FIEMAP = 0xC020660BL;
  private static final int HEADER = 32;
  private static final int EXTENT = 56;
  private static final int BATCH = 256;
  private static final int FIEMAP_FLAG_SYNC = 0x1;
  private static final int FIEMAP_EXTENT_LAST = 0x1;
  private static final int FIEMAP_EXTENT_UNWRITTEN = 0x800;

  /** A byte range [start, end) of the image. */
  record Range(long start, long end) {
    long length() {
      return end - start;
    }
  }

  private Extents() {}

  /** The holes of the first size bytes, in order. */
  static List<Range> holes(int fd, long size) {
    List<Range> holes = new ArrayList<>();
    long at = 0;
    while (at < size) {
      long hole = seek(fd, at, LibC.SEEK_HOLE, size);
      if (hole >= size) {
        break;
      }
      long data = seek(fd, hole, LibC.SEEK_DATA, size);
      holes.add(new Range(hole, Math.min(data, size)));
      at = data;
    }
    return holes;
  }

  /** lseek; ENXIO (nothing of that kind past offset) is the end of the file. */
  private static long seek(int fd, long offset, int whence, long size) {
    try {
      return LibC.INSTANCE.lseek(fd, offset, whence);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENXIO) {
        return size;
      }
      throw e;
    }
  }

  /** The unwritten extents of the first size bytes, in order; empty when the file system cannot tell (no FIEMAP). */
  static Optional<List<Range>> unwritten(int fd, long size) {
    List<Range> ranges = new ArrayList<>();
    long at = 0;
    try (Memory buf = new Memory(HEADER + (long) EXTENT * BATCH)) {
      while (at < size) {
        buf.clear();
        buf.setLong(0, at);
        buf.setLong(8, size - at);
        buf.setInt(16, FIEMAP_FLAG_SYNC);
        buf.setInt(24, BATCH);
        try {
          LibC.INSTANCE.ioctl(fd, FS_IOC_FIEMAP, buf);
        } catch (LastErrorException e) {
          int errno = e.getErrorCode();
          if (errno == LibC.EOPNOTSUPP || errno == LibC.ENOTTY || errno == LibC.EINVAL) {
            return Optional.empty();
          }
          throw e;
        }
        int mapped = buf.getInt(20);
        if (mapped == 0) {
          break;
        }
        boolean last = false;
        for (int i = 0; i < mapped; i++) {
          long base = HEADER + (long) EXTENT * i;
          long logical = buf.getLong(base);
          long end = Math.min(size, logical + buf.getLong(base + 16));
          int flags = buf.getInt(base + 40);
          if ((flags & FIEMAP_EXTENT_UNWRITTEN) != 0 && end > logical) {
            ranges.add(new Range(logical, end));
          }
          at = Math.max(at, end);
          last |= (flags & FIEMAP_EXTENT_LAST) != 0;
        }
        if (last) {
          break;
        }
      }
    }
    return Optional.of(ranges);
  }

  /** The parts of ranges that lie inside one of within (both in order). */
  static List<Range> intersect(List<Range> ranges, List<Range> within) {
    List<Range> result = new ArrayList<>();
    int j = 0;
    for (Range r : ranges) {
      while (j < within.size() && within.get(j).end() <= r.start()) {
        j++;
      }
      for (int k = j; k < within.size() && within.get(k).start() < r.end(); k++) {
        long start = Math.max(r.start(), within.get(k).start());
        long end = Math.min(r.end(), within.get(k).end());
        if (end > start) {
          result.add(new Range(start, end));
        }
      }
    }
    return result;
  }

  static long total(List<Range> ranges) {
    return ranges.stream().mapToLong(Range::length).sum();
  }
}

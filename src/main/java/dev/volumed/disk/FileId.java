package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * Which file an image is, whatever its name: the device of its file system and its inode, as
 * {@code stat} gives them ({@code st_dev} in glibc's encoding, which is also what the loop driver
 * reports as {@code lo_device}).
 */
record FileId(long dev, long ino) {

  /** st_dev from major and minor, as glibc's makedev(3) makes it. */
  static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }

  long major() {
    return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
  }

  long minor() {
    return ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
  }

  /** statx of leaf in the folder dirfd, not following it; throws LastErrorException as the call does. */
  static FileId statx(int dirfd, String leaf, int flags) {
    try (Memory buf = new Memory(LibC.STATX_STRUCT_SIZE)) {
      buf.clear();
      LibC.INSTANCE.statx(dirfd, leaf, flags, LibC.STATX_INO, buf);
      return new FileId(makedev(buf.getInt(LibC.STATX_DEV_MAJOR_OFFSET) & 0xffffffffL,
          buf.getInt(LibC.STATX_DEV_MINOR_OFFSET) & 0xffffffffL), buf.getLong(LibC.STATX_INO_OFFSET));
    }
  }

  /** Of an open descriptor. */
  static FileId of(int fd) {
    return statx(fd, "", LibC.AT_EMPTY_PATH);
  }
}

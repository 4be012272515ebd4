package dev.volumed.disk;

import com.sun.jna.Memory;

/** What statx tells of one entry in a folder, not following it. */
record Entry(int mode, long inode, long size, long blocks) {
  boolean isRegularFile() {
    return (mode & LibC.S_IFMT) == LibC.S_IFREG;
  }

  boolean isSymlink() {
    return (mode & LibC.S_IFMT) == LibC.S_IFLNK;
  }

  boolean isFolder() {
    return (mode & LibC.S_IFMT) == LibC.S_IFDIR;
  }

  /** st_blocks * 512: the bytes really on disk. */
  long allocatedBytes() {
    return blocks * 512;
  }

  /** statx(2) of leaf relative to dirfd; throws LastErrorException as the call does. */
  static Entry statx(int dirfd, String leaf, int flags) {
    try (Memory buf = new Memory(LibC.STATX_STRUCT_SIZE)) {
      buf.clear();
      LibC.INSTANCE.statx(dirfd, leaf, flags,
          LibC.STATX_TYPE | LibC.STATX_INO | LibC.STATX_SIZE | LibC.STATX_BLOCKS, buf);
      return new Entry(buf.getShort(LibC.STATX_MODE_OFFSET) & 0xffff, buf.getLong(LibC.STATX_INO_OFFSET),
          buf.getLong(LibC.STATX_SIZE_OFFSET), buf.getLong(LibC.STATX_BLOCKS_OFFSET));
    }
  }
}

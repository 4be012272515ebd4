package dev.volumed.disk;

import static dev.volumed.disk.Ext4Identity.le;
import static dev.volumed.disk.Ext4Identity.readAt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Finds the internal journal's superblock: the first block of the journal inode (s_journal_inum),
 * read through group 0's descriptor (its inode table) and the inode's extent tree, or its first
 * direct block where the inode has no extents (ext3).
 */
final class Ext4Journal {
  private static final int INCOMPAT_64BIT = 0x80;
  private static final int EXTENTS_FL = 0x80000;
  private static final int EXTENT_MAGIC = 0xF30A;
  private static final int MAX_DEPTH = 5;

  private Ext4Journal() {}

  static long superblockOffset(FileChannel image, ByteBuffer sb, long block, long firstData)
      throws IOException, Ext4Identity.Unclonable {
    long inum = Integer.toUnsignedLong(sb.getInt(0xE0));
    long perGroup = Integer.toUnsignedLong(sb.getInt(0x28));
    if (inum < 1 || inum > perGroup) {
      throw new Ext4Identity.Unclonable("its journal inode is not in group 0");
    }
    boolean wide = (sb.getInt(0x60) & INCOMPAT_64BIT) != 0 && (sb.getShort(0xFE) & 0xFFFF) >= 64;
    ByteBuffer desc = le(readAt(image, (firstData + 1) * block, 64));
    long table = Integer.toUnsignedLong(desc.getInt(0x8)) | (wide ? Integer.toUnsignedLong(desc.getInt(0x28)) << 32 : 0);
    int inodeSize = sb.getShort(0x58) & 0xFFFF;
    ByteBuffer inode = le(readAt(image, table * block + (inum - 1) * inodeSize, 128));
    byte[] iBlock = new byte[60];
    inode.get(0x28, iBlock);
    if ((inode.getInt(0x20) & EXTENTS_FL) == 0) {
      return Integer.toUnsignedLong(le(iBlock).getInt(0)) * block;
    }
    ByteBuffer node = le(iBlock);
    for (int level = 0; level < MAX_DEPTH; level++) {
      if ((node.getShort(0) & 0xFFFF) != EXTENT_MAGIC || node.getShort(2) == 0) {
        throw new Ext4Identity.Unclonable("its journal inode has no readable extent tree");
      }
      int depth = node.getShort(6) & 0xFFFF;
      if (node.getInt(12) != 0) {
        throw new Ext4Identity.Unclonable("its journal's first extent does not start at block 0");
      }
      if (depth == 0) {
        long start = (long) (node.getShort(12 + 6) & 0xFFFF) << 32 | Integer.toUnsignedLong(node.getInt(12 + 8));
        return start * block;
      }
      long leaf = Integer.toUnsignedLong(node.getInt(12 + 4)) | (long) (node.getShort(12 + 8) & 0xFFFF) << 32;
      node = le(readAt(image, leaf * block, (int) block));
    }
    throw new Ext4Identity.Unclonable("its journal's extent tree is too deep");
  }
}

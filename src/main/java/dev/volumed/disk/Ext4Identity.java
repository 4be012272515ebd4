package dev.volumed.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Gives a byte-for-byte copy of an ext2/3/4 file system its own identity, as mke2fs would have made
 * it: a fresh UUID and directory hash seed, its label and its creation time. The UUID is held in
 * the superblock, in each backup superblock and in the internal journal's superblock, nothing else
 * (checked on every template: {@link Layout#uuidPlaces}). What the UUID seeds:
 * <ul>
 *   <li>with metadata_csum, every group descriptor, bitmap, inode and directory block checksum
 *       (seed = crc32c of the UUID). The copy keeps the template's seed under the
 *       metadata_csum_seed feature (s_checksum_seed, incompat 0x2000, Linux 4.4 and e2fsprogs
 *       1.43 and later), so only the superblocks change; each superblock's own checksum is
 *       recomputed;</li>
 *   <li>with gdt_csum (uninit_bg without metadata_csum), the group descriptors' crc16: not
 *       rewritten here, so such a file system is not cloned ({@link Layout#read} refuses it), nor
 *       one with mmp or an external journal.</li>
 * </ul>
 * The directory hash seed is safe to change because a fresh file system's directories (/ and
 * lost+found) are linear, not hashed. Backup superblocks sit at the first block of group 1 and the
 * powers of 3, 5 and 7 (sparse_super), the two groups sparse_super2 names, or every group.
 */
final class Ext4Identity {
  static final int SB_SIZE = 1024;
  private static final int MAGIC = 0xEF53;
  private static final int JOURNAL_MAGIC = 0xC03B3998;
  private static final int COMPAT_HAS_JOURNAL = 0x4;
  private static final int COMPAT_SPARSE_SUPER2 = 0x200;
  private static final int INCOMPAT_JOURNAL_DEV = 0x8;
  private static final int INCOMPAT_64BIT = 0x80;
  private static final int INCOMPAT_MMP = 0x100;
  private static final int INCOMPAT_CSUM_SEED = 0x2000;
  private static final int RO_SPARSE_SUPER = 0x1;
  private static final int RO_GDT_CSUM = 0x10;
  private static final int RO_METADATA_CSUM = 0x400;
  private static final int JOURNAL_CSUM_V2_V3 = 0x8 | 0x10;

  private Ext4Identity() {}

  /** A file system that cannot be given a new identity safely here; it is formatted by mkfs instead. */
  static final class Unclonable extends Exception {
    private static final long serialVersionUID = 1L;

    Unclonable(String message) {
      super(message);
    }
  }

  /** Who the copy is: UUID, hash seed (16 bytes), label (may be null) and creation time (s since the epoch). */
  record Identity(UUID uuid, byte[] hashSeed, String label, long time) {
    static Identity fresh(String label, long time) {
      return new Identity(UUID.randomUUID(), bytes(UUID.randomUUID()), label, time);
    }
  }

  /**
   * Where a template's identity lives: the byte offset of every superblock (the primary first), of
   * the journal's superblock (-1: none), and the template's superblocks themselves.
   */
  record Layout(List<Long> superblocks, long journalSuperblock, List<byte[]> templateSuperblocks) {
    /** Every offset at which the template's UUID must be found, and nowhere else, in increasing order. */
    List<Long> uuidPlaces() {
      List<Long> places = new ArrayList<>();
      for (long sb : superblocks) {
        places.add(sb + 0x68);
      }
      if (journalSuperblock >= 0) {
        places.add(journalSuperblock + 0x30);
      }
      places.sort(null);
      return places;
    }

    byte[] uuid() {
      byte[] uuid = new byte[16];
      System.arraycopy(templateSuperblocks.get(0), 0x68, uuid, 0, 16);
      return uuid;
    }

    /** Reads where the identity lives from a freshly made file system; refuses one it cannot renew. */
    static Layout read(FileChannel image) throws IOException, Unclonable {
      ByteBuffer sb = le(readAt(image, 1024, SB_SIZE));
      if ((sb.getShort(0x38) & 0xFFFF) != MAGIC) {
        throw new Unclonable("no ext2/3/4 superblock");
      }
      int compat = sb.getInt(0x5C);
      int incompat = sb.getInt(0x60);
      int roCompat = sb.getInt(0x64);
      if ((roCompat & RO_GDT_CSUM) != 0 && (roCompat & RO_METADATA_CSUM) == 0) {
        throw new Unclonable("its group descriptor checksums (gdt_csum) are seeded by the UUID");
      }
      if ((incompat & (INCOMPAT_MMP | INCOMPAT_JOURNAL_DEV)) != 0) {
        throw new Unclonable("it has mmp or is an external journal");
      }
      long block = 1024L << sb.getInt(0x18);
      long firstData = Integer.toUnsignedLong(sb.getInt(0x14));
      long perGroup = Integer.toUnsignedLong(sb.getInt(0x20));
      long blocks = Integer.toUnsignedLong(sb.getInt(0x04))
          | ((incompat & INCOMPAT_64BIT) != 0 ? Integer.toUnsignedLong(sb.getInt(0x150)) << 32 : 0);
      long groups = (blocks - firstData + perGroup - 1) / perGroup;
      List<Long> offsets = new ArrayList<>();
      offsets.add(1024L);
      for (long g : backupGroups(groups, compat, roCompat, sb)) {
        offsets.add((firstData + g * perGroup) * block);
      }
      List<byte[]> copies = new ArrayList<>();
      for (long offset : offsets) {
        byte[] copy = readAt(image, offset, SB_SIZE);
        if ((le(copy).getShort(0x38) & 0xFFFF) != MAGIC) {
          throw new Unclonable("no backup superblock at byte " + offset);
        }
        copies.add(copy);
      }
      long journal = (compat & COMPAT_HAS_JOURNAL) != 0 && Integer.toUnsignedLong(sb.getInt(0xE0)) != 0
          ? Ext4Journal.superblockOffset(image, sb, block, firstData) : -1;
      if (journal >= 0) {
        ByteBuffer jsb = ByteBuffer.wrap(readAt(image, journal, SB_SIZE));
        if (jsb.getInt(0) != JOURNAL_MAGIC || (jsb.getInt(0x28) & JOURNAL_CSUM_V2_V3) != 0) {
          throw new Unclonable("its journal superblock is not a plain one");
        }
      }
      return new Layout(List.copyOf(offsets), journal, List.copyOf(copies));
    }
  }

  /** Writes identity into copy, a byte-for-byte copy of the template layout was read from. */
  static void renew(FileChannel copy, Layout layout, Identity identity) throws IOException {
    byte[] templateUuid = layout.uuid();
    for (int i = 0; i < layout.superblocks().size(); i++) {
      byte[] sb = layout.templateSuperblocks().get(i).clone();
      patchSuperblock(le(sb), templateUuid, identity);
      writeAt(copy, layout.superblocks().get(i), sb);
    }
    if (layout.journalSuperblock() >= 0) {
      byte[] jsb = readAt(copy, layout.journalSuperblock(), SB_SIZE);
      System.arraycopy(bytes(identity.uuid()), 0, jsb, 0x30, 16);
      writeAt(copy, layout.journalSuperblock(), jsb);
    }
  }

  static void patchSuperblock(ByteBuffer sb, byte[] templateUuid, Identity identity) {
    boolean csum = (sb.getInt(0x64) & RO_METADATA_CSUM) != 0;
    if (csum && (sb.getInt(0x60) & INCOMPAT_CSUM_SEED) == 0) {
      sb.putInt(0x270, crc32cRaw(templateUuid, templateUuid.length));
      sb.putInt(0x60, sb.getInt(0x60) | INCOMPAT_CSUM_SEED);
    }
    sb.put(0x68, bytes(identity.uuid()));
    byte[] name = new byte[16];
    if (identity.label() != null) {
      byte[] label = identity.label().getBytes(StandardCharsets.UTF_8);
      System.arraycopy(label, 0, name, 0, Math.min(16, label.length));
    }
    sb.put(0x78, name);
    sb.put(0xEC, identity.hashSeed());
    // mke2fs stamps the creation, last write and last check times alike; each with its high byte.
    setTime(sb, 0x108, 0x276, identity.time());
    setTime(sb, 0x30, 0x274, identity.time());
    setTime(sb, 0x40, 0x277, identity.time());
    if (csum) {
      sb.putInt(0x3FC, crc32cRaw(sb.array(), 0x3FC));
    }
  }

  private static void setTime(ByteBuffer sb, int low, int high, long seconds) {
    if (sb.getInt(low) != 0 || sb.get(high) != 0) {
      sb.putInt(low, (int) seconds);
      sb.put(high, (byte) (seconds >>> 32));
    }
  }

  private static List<Long> backupGroups(long groups, int compat, int roCompat, ByteBuffer sb) {
    List<Long> result = new ArrayList<>();
    if ((compat & COMPAT_SPARSE_SUPER2) != 0) {
      for (int at : new int[] {0x24C, 0x250}) {
        long g = Integer.toUnsignedLong(sb.getInt(at));
        if (g != 0 && g < groups && !result.contains(g)) {
          result.add(g);
        }
      }
    } else if ((roCompat & RO_SPARSE_SUPER) != 0) {
      if (groups > 1) {
        result.add(1L);
      }
      for (long base : new long[] {3, 5, 7}) {
        for (long g = base; g < groups; g *= base) {
          result.add(g);
        }
      }
      result.sort(null);
    } else {
      for (long g = 1; g < groups; g++) {
        result.add(g);
      }
    }
    return result;
  }

  /** The kernel's crc32c_le(~0, bytes): Java's CRC32C without its final inversion. */
  static int crc32cRaw(byte[] bytes, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, length);
    return ~(int) crc.getValue();
  }

  static byte[] bytes(UUID uuid) {
    return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits()).array();
  }

  static ByteBuffer le(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  static byte[] readAt(FileChannel ch, long offset, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      if (ch.read(buf, offset + buf.position()) < 0) {
        throw new IOException("the image ends before byte " + (offset + length));
      }
    }
    return buf.array();
  }

  private static void writeAt(FileChannel ch, long offset, byte[] bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      ch.write(buf, offset + buf.position());
    }
  }
}

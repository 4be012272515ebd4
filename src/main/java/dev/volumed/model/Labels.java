package dev.volumed.model;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.nio.charset.StandardCharsets;

/**
 * The one rule for labels: a label is accepted only when the file system stores it so that blkid
 * reads back exactly the same string, which is then the label in the books. Found by experiment with
 * e2fsprogs 1.47, xfsprogs 6.1, btrfs-progs 6.2, dosfstools 4.2, util-linux 2.38:
 * <ul>
 *   <li>every fs: 1 byte or more, no control characters, no trailing space (blkid drops trailing
 *       spaces, ext* also strips them); UTF-8 counts in bytes;</li>
 *   <li>ext2/3/4 at most 16 bytes, xfs 12, btrfs 254 (mkfs.btrfs keeps 254 of 255), swap 15 (mkswap
 *       keeps 15 of 16);</li>
 *   <li>vfat at most 11 characters of printable ASCII, none of {@code *?.,;:/\|+=<>[]"}, not
 *       starting with a space, and not {@code NO NAME} (which blkid reads as no label); lower case is
 *       stored and read back as given (mkfs.fat only warns that some systems may not like it).</li>
 * </ul>
 */
public final class Labels {
  public static final String VFAT_REFUSED = "*?.,;:/\\|+=<>[]\"";

  private Labels() {}

  /** Passes a null label (none); otherwise throws BAD_REQUEST saying what this fs accepts. */
  public static void check(FileSystemType fs, String label) throws VolumeException {
    if (label == null) {
      return;
    }
    if (fs.maxLabelBytes() == 0) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "fs \"" + fs.wireName() + "\" has no label; leave \"label\" out");
    }
    int bytes = label.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes > fs.maxLabelBytes()) {
      throw bad(fs, "label \"" + label + "\" is " + bytes + " bytes");
    }
    if (label.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw bad(fs, "label \"" + label.replaceAll("\\p{Cntrl}", "?") + "\" holds a control character");
    }
    if (label.endsWith(" ")) {
      throw bad(fs, "label \"" + label + "\" ends in a space, which blkid does not read back");
    }
    if (fs == FileSystemType.VFAT) {
      checkVfat(fs, label);
    }
  }

  private static void checkVfat(FileSystemType fs, String label) throws VolumeException {
    if (label.chars().anyMatch(c -> c > 0x7e)) {
      throw bad(fs, "label \"" + label + "\" is not plain ASCII");
    }
    if (label.chars().anyMatch(c -> VFAT_REFUSED.indexOf(c) >= 0)) {
      throw bad(fs, "label \"" + label + "\" holds one of " + VFAT_REFUSED);
    }
    if (label.startsWith(" ")) {
      throw bad(fs, "label \"" + label + "\" starts with a space");
    }
    if (label.equals("NO NAME")) {
      throw bad(fs, "label \"NO NAME\" is what vfat stores for no label; leave \"label\" out instead");
    }
  }

  /** What the fs accepts, for the message. */
  public static String accepted(FileSystemType fs) {
    return switch (fs) {
      case VFAT -> "1 to 11 characters of printable ASCII except " + VFAT_REFUSED
          + ", not starting or ending with a space, not NO NAME";
      default -> "1 to " + fs.maxLabelBytes() + " bytes of UTF-8 without control characters, not ending with a space";
    };
  }

  private static VolumeException bad(FileSystemType fs, String why) {
    return new VolumeException(ErrorCode.BAD_REQUEST, why + "; a " + fs.wireName() + " label takes " + accepted(fs));
  }
}

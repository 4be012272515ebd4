package dev.volumed.model;

import java.util.Locale;
import java.util.Optional;

/** The file systems volumed can put on an image, with the facts about their mkfs tools. */
public enum FileSystemType {
  EXT4("mkfs.ext4", "e2fsprogs", 16),
  EXT3("mkfs.ext3", "e2fsprogs", 16),
  EXT2("mkfs.ext2", "e2fsprogs", 16),
  XFS("mkfs.xfs", "xfsprogs", 12),
  BTRFS("mkfs.btrfs", "btrfs-progs", 254),
  VFAT("mkfs.vfat", "dosfstools", 11),
  SWAP("mkswap", "util-linux", 15),
  /** A raw image, left unformatted. */
  NONE(null, "", 0);

  private final String tool;
  private final String packageName;
  private final int maxLabelBytes;

  FileSystemType(String tool, String packageName, int maxLabelBytes) {
    this.tool = tool;
    this.packageName = packageName;
    this.maxLabelBytes = maxLabelBytes;
  }

  /** The name used on the wire and in configuration: "ext4", ..., "none". */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The file system with this wire name, or empty when there is none (names are case-sensitive). */
  public static Optional<FileSystemType> fromWire(String s) {
    for (FileSystemType fs : values()) {
      if (fs.wireName().equals(s)) {
        return Optional.of(fs);
      }
    }
    return Optional.empty();
  }

  /**
   * The longest label the file system stores whole, in UTF-8 bytes; 0 when it has no label. btrfs and
   * swap keep one byte less than their field (254 of 255, 15 of 16: the last is the terminating NUL).
   */
  public int maxLabelBytes() {
    return maxLabelBytes;
  }

  /** The executable that formats it; empty for {@link #NONE}. */
  public Optional<String> tool() {
    return Optional.ofNullable(tool);
  }

  /** The distribution package that ships {@link #tool()} (Debian/Fedora/Nix all use these names). */
  public String packageName() {
    return packageName;
  }

  /** True for ext2, ext3 and ext4, which share mke2fs and its options. */
  public boolean isExt() {
    return this == EXT2 || this == EXT3 || this == EXT4;
  }
}

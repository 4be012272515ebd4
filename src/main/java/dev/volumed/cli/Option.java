package dev.volumed.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The value-taking options of the commands. Every one of them takes exactly one value. */
enum Option {
  SIZE("--size", "SIZE", "bytes, or with a unit: 512M, 10G, 1T (K/M/G/T or KiB..TiB, powers of 1024)"),
  POOL("--pool", "P", "the pool (default: default)"),
  FS("--fs", "FS", "ext4, ext3, ext2, xfs, btrfs, vfat, swap or none (default: the pool's)"),
  LABEL("--label", "L", "file-system label"),
  ALLOCATION("--allocation", "A", "sparse, fallocate or full (default: the pool's)"),
  MKFS_ARG("--mkfs-arg", "ARG", "one extra argument for mkfs; repeat for more");

  static final List<String> ALLOCATIONS = List.of("sparse", "fallocate", "full");

  private final String flag;
  private final String valueName;
  private final String description;

  Option(String flag, String valueName, String description) {
    this.flag = flag;
    this.valueName = valueName;
    this.description = description;
  }

  String flag() {
    return flag;
  }

  String valueName() {
    return valueName;
  }

  String description() {
    return description;
  }

  /** Only {@code --mkfs-arg} may be given more than once. */
  boolean repeatable() {
    return this == MKFS_ARG;
  }

  static Optional<Option> byFlag(String flag) {
    return Arrays.stream(values()).filter(o -> o.flag.equals(flag)).findFirst();
  }
}

package dev.volumed.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The options of the commands. Most take exactly one value; a few are switches that take none
 * ({@link #valueName()} is empty for them).
 */
enum Option {
  SIZE("--size", "SIZE", "bytes, or with a unit: 512M, 10G, 1T (K/M/G/T or KiB..TiB, powers of 1024)"),
  POOL("--pool", "P", "the pool (default: default)"),
  FS("--fs", "FS", "ext4, ext3, ext2, xfs, btrfs, vfat, swap or none (default: the pool's)"),
  LABEL("--label", "L", "file-system label"),
  ALLOCATION("--allocation", "A", "sparse, fallocate or full (default: the pool's)"),
  MKFS_ARG("--mkfs-arg", "ARG", "one extra argument for mkfs; repeat for more"),
  PREFIX("--prefix", "PREFIX", "put before each image's file name, as is: vm1/ makes vm1/var.img"),
  NO_ATOMIC("--no-atomic", "", "make what can be made; by default the batch is all or nothing"),
  DRY_RUN("--dry-run", "", "print the batch request it would send, and send nothing");

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

  /** A switch: present or not, no value. */
  boolean isSwitch() {
    return valueName.isEmpty();
  }

  /** {@code --size SIZE}, or {@code --dry-run} for a switch. */
  String synopsis() {
    return isSwitch() ? flag : flag + " " + valueName;
  }

  /** Only {@code --mkfs-arg} may be given more than once. */
  boolean repeatable() {
    return this == MKFS_ARG;
  }

  static Optional<Option> byFlag(String flag) {
    return Arrays.stream(values()).filter(o -> o.flag.equals(flag)).findFirst();
  }
}

package dev.volumed.disk;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.VolumeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Grows the file system inside an image that was just made longer, keeping its label, UUID and
 * every file: ext2/3/4 offline with resize2fs (with an undo file, so a crash half-way is undone by
 * e2undo), xfs and btrfs online on a {@link PrivateMount} (root only), swap by a new mkswap header
 * with the same UUID and label, none as bytes. vfat is refused before this (ChangeRules).
 */
final class FileSystemGrowth {
  private final ChangeTools tools;

  FileSystemGrowth(ChangeTools tools) {
    this.tools = tools;
  }

  /**
   * Everything that can refuse the resize before the image changes: the tools are there, volumed
   * may mount where it must, and an ext file system checks clean (resize2fs insists on it, and a
   * damaged one is repaired by the guest's owner, not behind their back).
   */
  void precheck(FileSystemType fs, Path device, String name) throws VolumeException {
    String forWhat = "growing " + name;
    switch (fs) {
      case EXT2, EXT3, EXT4 -> {
        tools.require("resize2fs", "e2fsprogs", forWhat);
        tools.require("e2undo", "e2fsprogs", forWhat);
        ToolProcesses.Result r = tools.run("e2fsck", "e2fsprogs", "checking " + name, List.of("-f", "-n", device.toString()));
        if (r.exitCode() != 0) {
          throw new VolumeException(ErrorCode.IO_ERROR, "the " + fs.wireName() + " file system of " + name
              + " does not check clean (e2fsck -fn exit code " + r.exitCode() + "), so it is not grown; repair it"
              + " with e2fsck -f first. Its last output:\n" + r.output().strip());
        }
      }
      case XFS, BTRFS -> {
        if (!ChangeTools.root()) {
          throw new VolumeException(ErrorCode.UNSUPPORTED, "growing " + fs.wireName() + " volume " + name
              + " needs it mounted (xfs_growfs and btrfs resize work on a mounted file system), and only root may"
              + " mount; run volumed as root, or use ext4, which is grown offline");
        }
        for (String tool : List.of("unshare", "nsenter", "mount", "umount")) {
          tools.require(tool, tool.endsWith("mount") ? "mount" : "util-linux", forWhat);
        }
        tools.require(fs == FileSystemType.XFS ? "xfs_growfs" : "btrfs", fs == FileSystemType.XFS ? "xfsprogs"
            : "btrfs-progs", forWhat);
      }
      case SWAP -> {
        tools.require("mkswap", "util-linux", forWhat);
        tools.require("blkid", "util-linux", forWhat);
      }
      case NONE, VFAT -> { }
    }
  }

  /** Grows the file system of device (already at its new length) to fill it. */
  void grow(FileSystemType fs, Path device, Path undoFile, String name) throws VolumeException {
    String forWhat = "growing " + name;
    switch (fs) {
      case EXT2, EXT3, EXT4 -> {
        // -f: the check was made by precheck; -z: every block it overwrites is saved first.
        tools.check(ErrorCode.IO_ERROR, "resize2fs", "e2fsprogs", forWhat,
            List.of("-f", "-z", undoFile.toString(), device.toString()));
        // resize2fs 1.47.0 with -z leaves the resize inode (and a free-blocks count) wrong on a
        // file system of 1 KiB blocks (mke2fs's choice below 512 MiB); e2fsck rebuilds exactly
        // those, no file is touched. The blocks it writes are ones resize2fs wrote, so the undo
        // file still takes the image back to before the resize.
        String dev = device.toString();
        if (tools.run("e2fsck", "e2fsprogs", "checking " + name, List.of("-f", "-n", dev)).exitCode() != 0) {
          tools.run("e2fsck", "e2fsprogs", "repairing the resize inode of " + name, List.of("-f", "-y", dev));
          tools.check(ErrorCode.IO_ERROR, "e2fsck", "e2fsprogs", "checking " + name + " after growing it",
              List.of("-f", "-n", dev));
        }
      }
      case XFS -> {
        try (PrivateMount m = PrivateMount.mount(tools, device, forWhat)) {
          m.inside(tools.require("xfs_growfs", "xfsprogs", forWhat), forWhat, List.of(m.dir().toString()));
        }
      }
      case BTRFS -> {
        try (PrivateMount m = PrivateMount.mount(tools, device, forWhat)) {
          m.inside(tools.require("btrfs", "btrfs-progs", forWhat), forWhat,
              List.of("filesystem", "resize", "max", m.dir().toString()));
        }
      }
      case SWAP -> newSwapHeader(device, forWhat);
      case NONE, VFAT -> { }
    }
  }

  /**
   * After the image was cut back to its old length (a failed or interrupted growth): ext's blocks as
   * they were before resize2fs (e2undo, forced: an interrupted resize2fs leaves its undo file
   * unfinished, and nothing else wrote the image meanwhile), swap's header written for the old length.
   * xfs and btrfs come here only when their file system was not grown yet (the image did not reach its
   * new length, or their growth failed): a grown one cannot be shrunk, so its growth is finished instead.
   */
  void undoBefore(FileSystemType fs, Path device, Path undoFile, String name) throws VolumeException {
    if (fs.isExt() && Files.exists(undoFile) && undoFile.toFile().length() > 0) {
      ToolProcesses.Result r = tools.run("e2undo", "e2fsprogs", "undoing the growth of " + name,
          List.of("-f", undoFile.toString(), device.toString()));
      if (r.exitCode() != 0) {
        // An undo file too short to hold a header: resize2fs had written nothing yet.
        org.slf4j.LoggerFactory.getLogger(FileSystemGrowth.class).info("e2undo of {} did not apply ({}): {}", name,
            r.exitCode(), r.output().strip());
      }
    }
  }

  void afterShrink(FileSystemType fs, Path device, String name) throws VolumeException {
    if (fs == FileSystemType.SWAP) {
      newSwapHeader(device, "restoring the swap header of " + name);
    }
  }

  private void newSwapHeader(Path device, String forWhat) throws VolumeException {
    String uuid = tools.blkid(device, "UUID");
    String label = tools.blkid(device, "LABEL");
    List<String> args = new ArrayList<>();
    if (!uuid.isEmpty()) {
      args.addAll(List.of("-U", uuid));
    }
    if (!label.isEmpty()) {
      args.addAll(List.of("-L", label));
    }
    args.add(device.toString());
    tools.check(ErrorCode.IO_ERROR, "mkswap", "util-linux", forWhat, args);
  }

  /** xfs and btrfs cannot be shrunk: an interrupted growth of theirs is finished, not undone. */
  static boolean growsForwardOnly(FileSystemType fs) {
    return fs == FileSystemType.XFS || fs == FileSystemType.BTRFS;
  }
}

package dev.volumed.disk;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blocking steps of changing a published volume in place. Resize, in the order that keeps a
 * crash harmless: check (nothing changed yet: its size, and that nothing holds it open), a durable {@link ResizeNotes note}, the image grown
 * as its allocation says, the file system grown ({@link FileSystemGrowth}), then the metadata with
 * the new size (the commit), then the note removed. A failure on the way is undone here; a crash is
 * undone (or, for xfs/btrfs, finished) at the next start-up by {@link ResizeRecovery}. Reclaim (of
 * a volume nothing holds open): the blocks the ext file system inside does not use are discarded, then the zero blocks punched.
 */
public final class VolumeChanges {
  private static final Logger log = LoggerFactory.getLogger(VolumeChanges.class);

  private final String poolName;
  private final PoolStore store;
  private final ChangeTools tools;
  private final FileSystemGrowth growth;
  private final ResizeNotes notes;
  private final OptionalLong maxWriteBytesPerSecond;

  /** maxWriteBytesPerSecond: the pace of the zeros a full volume's resize writes (empty: unpaced). */
  public VolumeChanges(String poolName, PoolStore store, Formatter formatter, OptionalLong maxWriteBytesPerSecond) {
    this.poolName = poolName;
    this.maxWriteBytesPerSecond = maxWriteBytesPerSecond;
    this.store = store;
    this.tools = new ChangeTools(formatter);
    this.growth = new FileSystemGrowth(tools);
    this.notes = new ResizeNotes(store.root());
  }

  /**
   * Hears how a resize goes: step "extend" with the bytes of the new range done (written, for
   * full), then step "filesystem" when the file system is being grown. Called on the blocking thread.
   */
  @FunctionalInterface
  public interface Progress {
    void report(String step, long doneBytes, long totalBytes);

    Progress NONE = (step, done, total) -> { };
  }

  /** What a reclaim gave back, and the volume measured after it. */
  public record Reclaimed(Volume volume, long reclaimedBytes) {}

  /** Grows volume to newSize (larger than its size: the ledger decided that) and returns it as it is now. */
  public Volume resize(Volume volume, long newSize, Progress progress) throws VolumeException {
    VolumeSpec spec = volume.spec();
    String name = spec.name();
    try (PoolDir folder = PoolWalk.walk(store.root(), name, false);
        OpenImage image = OpenImage.open(folder, PoolWalk.leafOf(name))) {
      if (image.size() != spec.size()) {
        throw new VolumeException(ErrorCode.IO_ERROR, "the image of " + name + " is " + image.size()
            + " bytes but its metadata says " + spec.size() + "; it is not resized");
      }
      // A running VM (or a loop device) sees its disk's size and file system: neither changes under it.
      Holders.refuseIfHeld(image.fd(), name, poolName, "resize");
      growth.precheck(spec.fs(), image.devicePath(), name);
      notes.begin(new ResizeNotes.Note(name, spec.size(), newSize));
      Volume resized;
      boolean grown = false;
      try {
        long total = newSize - spec.size();
        progress.report("extend", 0, total);
        ByteReporter extended = new ByteReporter((done, all) -> progress.report("extend", done, all), total);
        image.grow(spec.size(), newSize, spec.allocation(), extended::at, new WritePacer(maxWriteBytesPerSecond));
        progress.report("filesystem", total, total);
        growth.grow(spec.fs(), image.devicePath(), notes.undoFile(name), name);
        grown = true;
        image.sync();
        resized = new Volume(spec.withSize(newSize), volume.createdAt(), image.allocatedBytes(), Volume.State.READY,
            volume.adopted());
        store.writeMetadata(resized);
      } catch (VolumeException | IOException | RuntimeException e) {
        if (grown && FileSystemGrowth.growsForwardOnly(spec.fs())) {
          // Cutting the image back would cut off the grown xfs/btrfs: its note stays, and the next
          // start-up finishes the resize (metadata with the new size).
          log.error("pool {}: {} was grown but its metadata could not be written ({}); the next start-up records"
              + " its new size", poolName, name, e.getMessage());
        } else {
          undo(spec, image, name);
        }
        throw asVolumeException(name, e);
      }
      notes.end(name);
      return resized;
    }
  }

  /** Back to the old size after a failure: its blocks and its length as they were, then the note goes. */
  private void undo(VolumeSpec spec, OpenImage image, String name) {
    try {
      growth.undoBefore(spec.fs(), image.devicePath(), notes.undoFile(name), name);
      image.shrinkTo(spec.size());
      growth.afterShrink(spec.fs(), image.devicePath(), name);
      notes.end(name);
    } catch (VolumeException | RuntimeException e) {
      log.error("pool {}: undoing the failed resize of {} failed ({}); its note stays, and the next start-up"
          + " undoes it", poolName, name, e.getMessage());
    }
  }

  /**
   * Gives back a sparse volume's blocks that hold no data: for ext2/3/4, the blocks its file system
   * does not use (e2fsck -E discard punches them, as e2fsprogs discards a regular file's ranges with
   * PUNCH_HOLE; only after a read-only check found it clean, so e2fsck changes nothing but the holes);
   * then every 4 KiB block of zeros ({@link Holes}). No byte of the image reads differently after.
   */
  public Reclaimed reclaim(Volume volume) throws VolumeException {
    String name = volume.name();
    try (PoolDir folder = PoolWalk.walk(store.root(), name, false);
        OpenImage image = OpenImage.open(folder, PoolWalk.leafOf(name))) {
      // e2fsck and the hole punching need a file system nothing else writes to meanwhile.
      Holders.refuseIfHeld(image.fd(), name, poolName, "reclaim");
      long before = image.allocatedBytes();
      if (volume.spec().fs().isExt()) {
        discardUnused(volume.spec().fs(), image, name);
      }
      Holes.dig(image);
      long after = image.allocatedBytes();
      return new Reclaimed(volume.withAllocatedBytes(after), Math.max(0, before - after));
    }
  }

  private void discardUnused(FileSystemType fs, OpenImage image, String name) throws VolumeException {
    String device = image.devicePath().toString();
    ToolProcesses.Result check = tools.run("e2fsck", "e2fsprogs", "checking " + name, List.of("-f", "-n", device));
    if (check.exitCode() != 0) {
      log.warn("pool {}: the {} file system of {} does not check clean (e2fsck -fn exit code {}); only its zero"
          + " blocks are reclaimed, not the blocks it does not use", poolName, fs.wireName(), name, check.exitCode());
      return;
    }
    tools.check(ErrorCode.IO_ERROR, "e2fsck", "e2fsprogs", "discarding the unused blocks of " + name,
        List.of("-f", "-y", "-E", "discard", device));
  }

  private VolumeException asVolumeException(String name, Exception e) {
    if (e instanceof VolumeException ve) {
      return ve;
    }
    return new VolumeException(ErrorCode.IO_ERROR, "resizing " + name + " in pool " + poolName + " failed: "
        + e.getMessage(), e);
  }
}

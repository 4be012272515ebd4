package dev.volumed.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether what a note names is really there, and how to take it away again. The one place that
 * decides "this mount, this loop device, is ours": a loop device is volumed's when the loop driver
 * says the note's image (by device and inode) backs it; a mount is when it is of that device (a
 * stage's file system, or the bind of it at a target) or, for a block publish, the bind of that
 * device file.
 */
final class HostState {
  private final Notes notes;
  private final LoopDevices loops;
  private final Mounts mounts;

  HostState(Notes notes, LoopDevices loops, Mounts mounts) {
    this.notes = notes;
    this.loops = loops;
    this.mounts = mounts;
  }

  Notes notes() {
    return notes;
  }

  LoopDevices loops() {
    return loops;
  }

  Mounts mounts() {
    return mounts;
  }

  /** The note's loop device, when it is still attached to the note's image. */
  Optional<Path> ownDevice(Note note) {
    return note.device().filter(device -> loops.backing(device).map(note.imageKey()::equals).orElse(false));
  }

  /** The topmost mount at the note's path, when it is the note's own (see the class comment). */
  Optional<Mounts.Mount> ownMount(Note note) throws NodeException {
    Optional<Path> device = ownDevice(note);
    if (device.isEmpty()) {
      return Optional.empty();
    }
    Optional<Mounts.Mount> top = mounts.at(note.target());
    if (top.isEmpty()) {
      return top;
    }
    boolean ours = note.block()
        // The bind of /dev/loopN: its root is the node's path in the file system holding /dev ("/loopN" on devtmpfs).
        ? top.get().root().endsWith("/" + device.get().getFileName())
        : top.get().majorMinor().equals(loops.majorMinor(device.get()));
    return ours ? top : Optional.empty();
  }

  /** A stage as its note says: the device attached to the image and, for a mount volume, its mount. */
  boolean intact(Note note) throws NodeException {
    if (note.kind() == Note.Kind.STAGE && note.block()) {
      return ownDevice(note).isPresent();
    }
    return ownMount(note).isPresent();
  }

  /** Unmounts what volumed mounted at the note's path, detaches its device (a stage), removes the note. */
  void undo(Note note) throws NodeException {
    if (note.kind() == Note.Kind.PUBLISH || !note.block()) {
      // Bounded: an umount that reports success but leaves the mount is not tried forever.
      for (int i = 0; i < 4 && ownMount(note).isPresent(); i++) {
        mounts.unmount(note.target());
      }
    }
    if (note.kind() == Note.Kind.PUBLISH) {
      removeTarget(note.target());
    }
    if (note.kind() == Note.Kind.STAGE || note.ownDevice()) {
      Optional<Path> device = ownDevice(note);
      if (device.isPresent()) {
        loops.detach(device.get());
      }
    }
    notes.remove(note);
  }

  /** The same, never failing: for undoing a half-made stage or publish after its own failure. */
  void undoQuietly(Note note, Exception failure) {
    try {
      undo(note);
    } catch (NodeException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  /**
   * CSI: the plugin removes the target path it made at unpublish. Only what is left once nothing is
   * mounted there, and only an empty folder or an empty file (the block target): never someone's data.
   */
  void removeTarget(Path target) throws NodeException {
    try {
      if (mounts.at(target).isPresent()) {
        return;
      }
      if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        try (var entries = Files.list(target)) {
          if (entries.findAny().isPresent()) {
            return;
          }
        }
        Files.delete(target);
      } else if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && Files.size(target) == 0) {
        Files.delete(target);
      }
    } catch (IOException e) {
      throw new NodeException(NodeException.Kind.FAILED, "cannot remove " + target + ": " + e.getMessage(), e);
    }
  }
}

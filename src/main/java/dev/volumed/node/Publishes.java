package dev.volumed.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Publish and unpublish: a bind of the staging path (a mount volume) or of the loop device (a block
 * volume) onto the target path, read-only when asked; noted durably like a stage.
 */
final class Publishes {
  private final HostState host;

  Publishes(HostState host) {
    this.host = host;
  }

  /** Publishes the staged volume at target; nothing when it already is, in that way. */
  void publish(String volumeId, Path staging, Path target, boolean block, boolean readOnly) throws NodeException {
    Note stage = host.notes().at(Note.Kind.STAGE, staging).filter(n -> n.volumeId().equals(volumeId))
        .filter(Note::done).orElseThrow(() -> new NodeException(NodeException.Kind.PRECONDITION, "volume " + volumeId
            + " is not staged at " + staging + "; stage it first"));
    if (!host.intact(stage)) {
      throw new NodeException(NodeException.Kind.PRECONDITION, "volume " + volumeId + " was staged at " + staging
          + " but its " + (stage.block() ? "loop device" : "mount") + " is gone; stage it again");
    }
    if (stage.block() != block) {
      throw new NodeException(NodeException.Kind.INVALID, "volume " + volumeId + " is staged as a "
          + (stage.block() ? "block" : "mount") + " volume and cannot be published as a " + (block ? "block" : "mount")
          + " volume");
    }
    boolean ro = readOnly || stage.readOnly();
    Optional<Note> existing = host.notes().at(Note.Kind.PUBLISH, target);
    if (existing.isPresent()) {
      Note note = existing.get();
      boolean intact = note.done() && host.intact(note);
      if (intact && !note.volumeId().equals(volumeId)) {
        throw new NodeException(NodeException.Kind.CONFLICT, target + " is where volume " + note.volumeId()
            + " is published");
      }
      if (intact) {
        if (note.readOnly() != ro) {
          throw new NodeException(NodeException.Kind.CONFLICT, "volume " + volumeId + " is already published at "
              + target + (note.readOnly() ? " read-only" : " read-write"));
        }
        return;
      }
      // Half made, or gone (unmounted by hand): its note goes, and the publish is made again.
      host.undo(note);
    }
    Optional<Mounts.Mount> mounted = host.mounts().at(target);
    if (mounted.isPresent()) {
      throw new NodeException(NodeException.Kind.PRECONDITION, "something else (" + mounted.get().source() + ") is"
          + " already mounted at " + target);
    }
    prepareTarget(target, block);
    // A read-only bind of a device file does not stop writes through it: a block volume staged
    // read-write is published read-only through a read-only loop device of its own.
    boolean ownDevice = block && ro && !stage.readOnly();
    Note note = ownDevice ? stage.publishedReadOnlyOnOwnDevice(target) : stage.publishedAt(target, ro);
    host.notes().write(note);
    try {
      if (ownDevice) {
        note = note.withDevice(host.loops().attach(stage.image(), stage.imageKey(), true,
            picked -> host.notes().write(stage.publishedReadOnlyOnOwnDevice(target).withDevice(picked))));
      }
      host.mounts().bind(block ? note.device().orElseThrow() : staging, target, ro);
      host.notes().write(note.completed());
    } catch (NodeException | RuntimeException e) {
      host.undoQuietly(host.notes().at(Note.Kind.PUBLISH, target).orElse(note), e);
      throw e;
    }
  }

  /** Unmounts target and removes it; nothing when the volume is not published there. */
  void unpublish(String volumeId, Path target) throws NodeException {
    Optional<Note> note = host.notes().at(Note.Kind.PUBLISH, target);
    if (note.isPresent() && !note.get().volumeId().equals(volumeId)) {
      throw new NodeException(NodeException.Kind.NOT_FOUND, "volume " + volumeId + " is not published at " + target
          + " (volume " + note.get().volumeId() + " is)");
    }
    if (note.isPresent()) {
      host.undo(note.get());
    }
  }

  /** A folder for a mount volume, an empty file for a block volume (the CO made the parent folder). */
  private static void prepareTarget(Path target, boolean block) throws NodeException {
    try {
      if (block) {
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          Files.delete(target); // an empty folder the CO made; a device is bound onto a file
        }
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(target.getParent());
          Files.createFile(target);
        } else if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
          throw new NodeException(NodeException.Kind.INVALID, "target path " + target + " is neither a file nor missing");
        }
      } else if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(target);
      } else if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new NodeException(NodeException.Kind.INVALID, "target path " + target + " is not a folder");
      }
    } catch (IOException e) {
      throw new NodeException(NodeException.Kind.FAILED, "cannot make the target path " + target + ": "
          + e.getMessage(), e);
    }
  }
}

package dev.volumed.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Stage and unstage: the image attached to a loop device (read-only for a reader), and for a mount
 * volume its file system mounted at the staging path. The intent is noted durably before each step
 * and the completion after the last, so a crash leaves nothing volumed cannot find again.
 */
final class Stages {
  /** What to stage: the volume, its image (and which file that is), where, and how. */
  record Request(String volumeId, Path image, FileKey imageKey, Path staging, boolean block, boolean readOnly,
      String fsType, List<String> mountFlags) {}

  /** Confirms, once the device is attached, that the volume still is that image (not deleted or replaced meanwhile). */
  @FunctionalInterface
  interface Recheck {
    void confirm() throws NodeException;
  }

  private final HostState host;

  Stages(HostState host) {
    this.host = host;
  }

  /** Stages the volume; nothing when it already is, at that path, in that way. True when this call staged it. */
  boolean stage(Request r, Recheck recheck) throws NodeException {
    Optional<Note> existing = stageOf(r.volumeId());
    if (existing.isPresent()) {
      Note note = existing.get();
      if (!note.target().equals(r.staging())) {
        throw new NodeException(NodeException.Kind.PRECONDITION, "volume " + r.volumeId() + " is already staged at "
            + note.target() + "; unstage it there first");
      }
      if (note.done() && host.intact(note)) {
        if (note.block() != r.block() || note.readOnly() != r.readOnly()
            || (!r.block() && (!note.fsType().equals(r.fsType()) || !note.mountFlags().equals(r.mountFlags())))) {
          throw new NodeException(NodeException.Kind.CONFLICT, "volume " + r.volumeId() + " is already staged at "
              + r.staging() + " as " + describe(note) + ", not as " + describe(r));
        }
        return false;
      }
      host.undo(note); // half there (unmounted or detached by hand): made again below
    }
    Optional<Note> other = host.notes().at(Note.Kind.STAGE, r.staging());
    if (other.isPresent() && !host.intact(other.get())) {
      host.undo(other.get()); // another volume's stage there that is gone: its note goes
      other = Optional.empty();
    }
    if (other.isPresent()) {
      throw new NodeException(NodeException.Kind.CONFLICT, r.staging() + " is the staging path of volume "
          + other.get().volumeId());
    }
    if (!r.block()) {
      prepareFolder(r.staging());
    }
    Note note = new Note(Note.Kind.STAGE, r.volumeId(), r.staging(), r.image(), r.imageKey(), r.block(), r.readOnly(),
        r.block() ? "" : r.fsType(), r.block() ? List.of() : r.mountFlags(), Optional.empty(), false, false);
    host.notes().write(note);
    try {
      Path device = host.loops().attach(r.image(), r.imageKey(), r.readOnly(),
          picked -> host.notes().write(note.withDevice(picked)));
      Note attached = note.withDevice(device);
      recheck.confirm();
      if (!r.block()) {
        List<String> options = new ArrayList<>(r.mountFlags());
        if (r.readOnly() && !options.contains("ro")) {
          options.add("ro");
        }
        host.mounts().mount(device, r.staging(), r.fsType(), options);
      }
      host.notes().write(attached.completed());
      return true;
    } catch (NodeException | RuntimeException e) {
      Note known = host.notes().at(Note.Kind.STAGE, r.staging()).orElse(note);
      host.undoQuietly(known, e);
      throw e;
    }
  }

  /** Unmounts the staging path and detaches the device; nothing when the volume is not staged there. */
  void unstage(String volumeId, Path staging) throws NodeException {
    Optional<Note> note = host.notes().at(Note.Kind.STAGE, staging).filter(n -> n.volumeId().equals(volumeId));
    if (note.isEmpty()) {
      return;
    }
    for (Note publish : host.notes().of(volumeId)) {
      if (publish.kind() == Note.Kind.PUBLISH) {
        if (publish.done() && host.intact(publish)) {
          throw new NodeException(NodeException.Kind.PRECONDITION, "volume " + volumeId + " is still published at "
              + publish.target() + "; unpublish it first");
        }
        host.undo(publish);
      }
    }
    host.undo(note.get());
  }

  /** The stage of a volume, wherever it is. */
  Optional<Note> stageOf(String volumeId) throws NodeException {
    return host.notes().of(volumeId).stream().filter(n -> n.kind() == Note.Kind.STAGE).findFirst();
  }

  /** The CO makes the staging folder; one that is missing is made, anything else there is refused. */
  private void prepareFolder(Path staging) throws NodeException {
    try {
      if (!Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(staging);
      } else if (!Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
        throw new NodeException(NodeException.Kind.INVALID, "staging path " + staging + " is not a folder");
      }
    } catch (IOException e) {
      throw new NodeException(NodeException.Kind.FAILED, "cannot make the staging folder " + staging + ": "
          + e.getMessage(), e);
    }
    Optional<Mounts.Mount> mounted = host.mounts().at(staging);
    if (mounted.isPresent()) {
      throw new NodeException(NodeException.Kind.PRECONDITION, "something else (" + mounted.get().source() + ", "
          + mounted.get().fsType() + ") is already mounted at " + staging);
    }
  }

  private static String describe(Note note) {
    return describe(note.block(), note.fsType(), note.mountFlags(), note.readOnly());
  }

  private static String describe(Request r) {
    return describe(r.block(), r.fsType(), r.mountFlags(), r.readOnly());
  }

  private static String describe(boolean block, String fsType, List<String> flags, boolean readOnly) {
    return (block ? "a block volume" : fsType + " mount" + (flags.isEmpty() ? "" : " with " + String.join(",", flags)))
        + (readOnly ? ", read-only" : ", read-write");
  }
}

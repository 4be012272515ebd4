package dev.volumed.node;

import java.util.ArrayList;
import java.util.List;

/**
 * The start-up pass over the notes, before any CSI call is served: every loop device and mount
 * volumed made is found again by its note. A stage or publish that never completed is undone
 * (unmounted, detached, its note removed); a completed one is kept, since a running pod uses it; a
 * note whose loop device or mount is gone (undone by hand, or by a reboot) is dropped.
 */
public final class Recovery {
  private Recovery() {}

  /** What the pass did, one line each, for the log. */
  public static List<String> run(NodeHost node) throws NodeException {
    HostState host = node.host();
    host.notes().open();
    List<String> done = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    List<Note> notes = host.notes().all(skipped);
    skipped.forEach(s -> done.add("skipped an unreadable note " + s));
    List<String> keptPublishesOf = new ArrayList<>();
    // Publishes first: a publish stands on its stage.
    for (Note note : notes) {
      if (note.kind() == Note.Kind.PUBLISH) {
        if (note.done() && host.intact(note)) {
          keptPublishesOf.add(note.volumeId());
          done.add("kept the publish of " + note.volumeId() + " at " + note.target());
        } else if (note.done()) {
          host.notes().remove(note);
          done.add("dropped the note of the publish of " + note.volumeId() + " at " + note.target() + ": its mount is gone");
        } else {
          host.undo(note);
          done.add("undid the half-made publish of " + note.volumeId() + " at " + note.target());
        }
      }
    }
    for (Note note : notes) {
      if (note.kind() != Note.Kind.STAGE) {
        continue;
      }
      if (note.done() && host.intact(note)) {
        done.add("kept the stage of " + note.volumeId() + " at " + note.target() + " on " + note.device().orElseThrow());
      } else if (note.done() && host.ownDevice(note).isEmpty()) {
        host.notes().remove(note);
        done.add("dropped the note of the stage of " + note.volumeId() + " at " + note.target()
            + ": its loop device is gone");
      } else if (note.done() && keptPublishesOf.contains(note.volumeId())) {
        done.add("kept the stage of " + note.volumeId() + " on " + note.device().orElseThrow() + ": its staging mount"
            + " is gone but it is still published");
      } else {
        host.undo(note);
        done.add("undid the " + (note.done() ? "broken" : "half-made") + " stage of " + note.volumeId() + " at "
            + note.target() + note.device().map(d -> " (" + d + ")").orElse(""));
      }
    }
    return done;
  }
}

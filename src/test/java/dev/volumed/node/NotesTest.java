package dev.volumed.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The notes are read back as written, one per path, and what a crash left half-written is not a note. */
class NotesTest {
  @TempDir
  Path dir;

  private static Note stage(String target) {
    return new Note(Note.Kind.STAGE, "default/vm1/root.img", Path.of(target), Path.of("/pools/default/vm1/root.img"),
        new FileKey(2049, 131), false, false, "ext4", List.of("noatime", "nodev"), Optional.empty(), false, false);
  }

  @Test
  void aNoteIsReadBackAsWrittenAndReplacedAtItsPath() throws Exception {
    Notes notes = new Notes(dir.resolve("state"));
    notes.open();
    Note intent = stage("/var/lib/kubelet/a b/=odd:\u00e9");
    notes.write(intent);
    assertEquals(Optional.of(intent), notes.at(Note.Kind.STAGE, intent.target()));
    Note done = intent.withDevice(Path.of("/dev/loop3")).completed();
    notes.write(done);
    assertEquals(List.of(done), notes.all());
    assertEquals(Optional.empty(), notes.at(Note.Kind.PUBLISH, intent.target()), "a publish at the same path is another note");
    Note publish = done.publishedAt(Path.of("/var/lib/kubelet/pods/x/target"), true);
    notes.write(publish);
    assertEquals(List.of(publish), notes.of("default/vm1/root.img").stream().filter(n -> n.kind() == Note.Kind.PUBLISH)
        .toList());
    notes.remove(done);
    notes.remove(done);
    assertEquals(List.of(publish), notes.all());
  }

  @Test
  void openRemovesHalfWrittenTemporaryFilesAndAnUnreadableNoteIsSkippedByName() throws Exception {
    Path state = Files.createDirectories(dir.resolve("state"));
    Files.writeString(state.resolve("stage-0123.note.tmp"), "kind=sta");
    Files.writeString(state.resolve("stage-4567.note"), "kind=stage\n");
    Notes notes = new Notes(state);
    notes.open();
    assertTrue(Files.notExists(state.resolve("stage-0123.note.tmp")));
    List<String> skipped = new ArrayList<>();
    assertEquals(List.of(), notes.all(skipped));
    assertEquals(1, skipped.size(), skipped::toString);
    assertTrue(skipped.get(0).contains("stage-4567.note"), skipped::toString);
  }
}

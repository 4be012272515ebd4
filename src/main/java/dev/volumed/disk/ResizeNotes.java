package dev.volumed.disk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The durable note of a resize in progress, {@code .volumed/resizes/<name>.json}, beside its undo
 * file {@code <name>.e2undo}. It is written before the image changes and removed after its
 * metadata has the new size, so a start-up that finds one knows the resize did not finish, and
 * whether the metadata (written last: the resize's commit) already has the new size.
 */
final class ResizeNotes {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String DIR = ".volumed/resizes";
  private static final String NOTE = ".json";
  private static final String UNDO = ".e2undo";

  /** What a note says: the volume, and the sizes it goes from and to. */
  record Note(String name, long from, long to) {}

  private final Path root;

  ResizeNotes(Path root) {
    this.root = root;
  }

  /** Writes the note durably; an undo file left by an earlier try is removed first. */
  void begin(Note note) throws VolumeException {
    ObjectNode node = JSON.createObjectNode();
    node.put("version", 1).put("name", note.name()).put("from", note.from()).put("to", note.to());
    try {
      Files.deleteIfExists(undoFile(note.name()));
      PoolFiles.write(root, DIR + "/" + note.name() + NOTE, JSON.writeValueAsBytes(node), true);
    } catch (IOException e) {
      throw new VolumeException(dev.volumed.model.ErrorCode.IO_ERROR, "cannot note the resize of " + note.name()
          + " in " + root.resolve(DIR) + ": " + e.getMessage(), e);
    }
  }

  /** The resize has ended one way or the other: its note and undo file go. */
  void end(String name) throws VolumeException {
    try {
      Files.deleteIfExists(undoFile(name));
    } catch (IOException e) {
      throw new VolumeException(dev.volumed.model.ErrorCode.IO_ERROR, "cannot remove " + undoFile(name), e);
    }
    PoolFiles.deleteDurably(root, DIR + "/" + name + NOTE);
    PoolFiles.pruneEmptyFolders(root.resolve(DIR), name);
  }

  /** Where resize2fs saves the blocks it overwrites (volumed's own folder: never a client's name). */
  Path undoFile(String name) {
    return root.resolve(DIR).resolve(name + UNDO);
  }

  /** Every note found (a start-up reads them before the metadata); unreadable ones are skipped by the caller. */
  List<Path> found() throws IOException {
    Path dir = root.resolve(DIR);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return new ArrayList<>(files.filter(p -> p.getFileName().toString().endsWith(NOTE)
          && !TempNames.isTemp(p.getFileName().toString())
          && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList());
    }
  }

  static Note read(Path note) throws IOException {
    JsonNode node = JSON.readTree(Files.readAllBytes(note));
    if (node == null || !node.path("name").isTextual() || !node.path("from").canConvertToLong()
        || !node.path("to").canConvertToLong()) {
      throw new IOException("not a resize note");
    }
    return new Note(node.get("name").asText(), node.get("from").asLong(), node.get("to").asLong());
  }
}

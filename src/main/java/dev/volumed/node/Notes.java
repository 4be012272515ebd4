package dev.volumed.node;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The durable notes of stages and publishes, one file per path (named by a hash of its kind and
 * path), in volumed.csi.state-dir. Each write goes to a temporary file that is fsynced, renamed over
 * the note and followed by an fsync of the folder, so a crash leaves the old note or the new one,
 * never half of one. Every method blocks.
 */
public final class Notes {
  private static final String SUFFIX = ".note";
  private static final String TEMP = ".tmp";

  private final Path dir;

  public Notes(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /** Makes the folder (mode 0700) if needed and removes temporary files a crash left. */
  public void open() throws NodeException {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, "*" + TEMP)) {
        for (Path temp : temps) {
          Files.deleteIfExists(temp);
        }
      }
    } catch (IOException e) {
      throw failed("cannot open the CSI state folder " + dir, e);
    }
  }

  /** Every note, those that cannot be read left out (and named in skipped). */
  public List<Note> all(List<String> skipped) throws NodeException {
    List<Note> notes = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path file : files) {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          Properties p = new Properties();
          p.load(in);
          notes.add(Note.of(p));
        } catch (IOException | RuntimeException e) {
          skipped.add(file + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      throw failed("cannot list the CSI state folder " + dir, e);
    }
    return notes;
  }

  /** Every note that can be read. */
  public List<Note> all() throws NodeException {
    return all(new ArrayList<>());
  }

  /** The note of this kind at target, if any. */
  public Optional<Note> at(Note.Kind kind, Path target) throws NodeException {
    Path file = file(kind, target);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Properties p = new Properties();
      p.load(in);
      return Optional.of(Note.of(p));
    } catch (IOException | RuntimeException e) {
      throw failed("cannot read the note " + file, e);
    }
  }

  /** The notes of one volume. */
  public List<Note> of(String volumeId) throws NodeException {
    return all().stream().filter(note -> note.volumeId().equals(volumeId)).toList();
  }

  /** Writes the note durably, replacing the one at its path. */
  public void write(Note note) throws NodeException {
    Path file = file(note.kind(), note.target());
    Path temp = dir.resolve(file.getFileName() + TEMP);
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE);
          Writer out = new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8)) {
        note.properties().store(out, "volumed CSI node: what it made (or was making) at one path");
        out.flush();
        channel.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDir();
    } catch (IOException e) {
      throw failed("cannot write the note " + file, e);
    }
  }

  /** Removes the note durably; nothing when there is none. */
  public void remove(Note note) throws NodeException {
    Path file = file(note.kind(), note.target());
    try {
      if (Files.deleteIfExists(file)) {
        syncDir();
      }
    } catch (IOException e) {
      throw failed("cannot remove the note " + file, e);
    }
  }

  private void syncDir() throws IOException {
    try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
      folder.force(true);
    }
  }

  private Path file(Note.Kind kind, Path target) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256")
          .digest((kind + " " + target).getBytes(StandardCharsets.UTF_8));
      return dir.resolve(kind.name().toLowerCase(java.util.Locale.ROOT) + "-"
          + HexFormat.of().formatHex(hash, 0, 16) + SUFFIX);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private static NodeException failed(String what, Exception e) {
    return new NodeException(NodeException.Kind.FAILED, what + ": " + e.getMessage(), e);
  }
}

package dev.volumed.metrics;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes the metrics text to a file so that a reader (node_exporter's textfile collector) sees the
 * whole old text or the whole new one, never a part: a temporary file in the same folder (its name
 * not ending in .prom, so the collector skips it), flushed to disk, renamed over the file, and the
 * folder flushed.
 */
final class Textfile {
  private Textfile() {}

  static void write(Path file, byte[] text) throws IOException {
    Path folder = file.getParent();
    Path temp = Files.createTempFile(folder, "." + file.getFileName() + ".", ".tmp");
    try {
      // Readable by the collector, which runs as a user of its own.
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(text);
        while (bytes.hasRemaining()) {
          out.write(bytes);
        }
        out.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
    try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }
}

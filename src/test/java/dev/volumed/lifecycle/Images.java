package dev.volumed.lifecycle;

import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/** What a test looks at in an image: its content's checksum, its blocks, data written at offsets. */
final class Images {
  private Images() {}

  /** SHA-256 of every byte the image reads. */
  static String checksum(Path image) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(image)) {
      for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
        sha.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** st_blocks × 512. */
  static long allocated(Path image) throws Exception {
    Process stat = new ProcessBuilder("stat", "-c", "%b", image.toString()).redirectErrorStream(true).start();
    String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (stat.waitFor() != 0) {
      throw new IllegalStateException("stat " + image + ": " + out);
    }
    return Long.parseLong(out) * 512;
  }

  /** Writes a few recognisable bytes at each offset (some unaligned, one in the last block) and flushes. */
  static void scribble(Path image, long... offsets) throws Exception {
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      for (long at : offsets) {
        file.seek(at);
        file.write(("data at " + at + " ").repeat(20).getBytes(StandardCharsets.UTF_8));
      }
      file.getFD().sync();
    }
  }
}

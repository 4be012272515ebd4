package dev.volumed.disk;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/**
 * What a template is checked against before it is cloned: its record (the mkfs version that made it,
 * its size, and a SHA-256 over its data extents, offsets included), written beside it when it is
 * made. Reading the extents also finds every place the template's UUID is written: it must be
 * exactly where {@link Ext4Identity} renews it, or the shape is not cloned.
 */
final class TemplateCheck {
  private TemplateCheck() {}

  record Record(String version, long size, String digest) {
    byte[] bytes() {
      Properties p = new Properties();
      p.setProperty("mkfs-version", version);
      p.setProperty("size", Long.toString(size));
      p.setProperty("data-sha256", digest);
      StringWriter out = new StringWriter();
      try {
        p.store(out, "volumed template: made by mkfs once, cloned for each new volume of its shape");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The record in bytes, or null when it is unreadable. */
    static Record parse(byte[] bytes) {
      Properties p = new Properties();
      try {
        p.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
        return new Record(p.getProperty("mkfs-version"), Long.parseLong(p.getProperty("size")), p.getProperty("data-sha256"));
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  /** The digest of the data extents and the offsets where uuid occurs in them. */
  record Contents(String digest, List<Long> uuidAt) {}

  static Contents read(FileChannel image, List<ExtentCopy.Extent> extents, byte[] uuid) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<Long> found = new ArrayList<>();
    ByteBuffer header = ByteBuffer.allocate(16);
    for (ExtentCopy.Extent extent : extents) {
      if (extent.length() > Integer.MAX_VALUE - 64) {
        throw new IOException("a template extent of " + extent.length() + " bytes");
      }
      byte[] data = Ext4Identity.readAt(image, extent.offset(), (int) extent.length());
      sha.update(header.clear().putLong(extent.offset()).putLong(extent.length()).array());
      sha.update(data);
      for (int i = indexOf(data, uuid, 0); i >= 0; i = indexOf(data, uuid, i + 1)) {
        found.add(extent.offset() + i);
      }
    }
    return new Contents(HexFormat.of().formatHex(sha.digest()), found);
  }

  private static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = from; i <= data.length - pattern.length; i++) {
      if (data[i] != pattern[0]) {
        continue;
      }
      for (int j = 1; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}

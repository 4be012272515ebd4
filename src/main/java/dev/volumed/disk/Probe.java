package dev.volumed.disk;

import dev.volumed.model.FileSystemType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** What blkid recognises on an existing image (for adopting images volumed did not make). */
public record Probe(Optional<FileSystemType> fs, Optional<String> label) {
  /**
   * Reads blkid's udev format (ID_FS_TYPE, ID_FS_LABEL_ENC). The export format is no use for labels:
   * it prints bytes above 0x7f as "M-..." sequences that cannot be read back.
   */
  static Optional<Probe> parseBlkid(String udev) {
    Optional<String> type = Optional.empty();
    Optional<String> label = Optional.empty();
    for (String line : udev.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        String key = line.substring(0, eq);
        String value = line.substring(eq + 1);
        if (key.equals("ID_FS_TYPE")) {
          type = Optional.of(value);
        } else if (key.equals("ID_FS_LABEL_ENC")) {
          label = Optional.of(decodeEnc(value));
        }
      }
    }
    if (type.isEmpty() && label.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Probe(type.flatMap(FileSystemType::fromWire), label));
  }

  /**
   * ID_FS_LABEL_ENC holds the label's bytes with \xNN for what is unsafe; the output was read as
   * ISO-8859-1, one char per byte, so the bytes are recovered and decoded as UTF-8.
   */
  private static String decodeEnc(String value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\\' && i + 3 < value.length() && value.charAt(i + 1) == 'x') {
        bytes.write(Integer.parseInt(value.substring(i + 2, i + 4), 16));
        i += 3;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}

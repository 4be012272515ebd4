package dev.volumed.disk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** e2fsprogs' own readers, run on a test's images: what a clone is checked against. */
final class ExtTools {
  private ExtTools() {}

  record Run(int exitCode, String output) {}

  static Run run(String... argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out);
  }

  /** e2fsck -fn: 0 when the file system is clean. */
  static Run fsck(Path image) throws IOException, InterruptedException {
    return run("e2fsck", "-fn", image.toString());
  }

  /** dumpe2fs -h as field -> value. */
  static Map<String, String> superblock(Path image) throws IOException, InterruptedException {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : run("dumpe2fs", "-h", image.toString()).output().split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("dumpe2fs")) {
        fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
      }
    }
    return fields;
  }

  static String blkid(Path image, String tag) throws IOException, InterruptedException {
    return run("blkid", "-p", "-o", "value", "-s", tag, image.toString()).output().strip();
  }

  static List<String> features(Path image) throws IOException, InterruptedException {
    return List.of(superblock(image).getOrDefault("Filesystem features", "").split("\\s+"));
  }
}

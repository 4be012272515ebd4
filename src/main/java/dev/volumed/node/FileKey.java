package dev.volumed.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

/**
 * Which file an image is, whatever its name: the device of its file system and its inode, as stat
 * gives them (st_dev in glibc's encoding, which is also what the loop driver reports as lo_device).
 */
public record FileKey(long dev, long ino) {

  /** The key of the regular file at path, not following a symlink; a FAILED refusal when it is anything else. */
  public static FileKey ofImage(Path path) throws NodeException {
    try {
      if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
        throw new NodeException(NodeException.Kind.NOT_FOUND, path + " is not an image file");
      }
      Map<String, Object> attrs = Files.readAttributes(path, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
      return new FileKey((Long) attrs.get("dev"), (Long) attrs.get("ino"));
    } catch (IOException e) {
      throw new NodeException(NodeException.Kind.NOT_FOUND, "cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** "dev:ino", as a note keeps it. */
  @Override
  public String toString() {
    return dev + ":" + ino;
  }

  static FileKey parse(String text) {
    String[] parts = text.split(":");
    if (parts.length != 2) {
      throw new IllegalArgumentException("not dev:ino: " + text);
    }
    return new FileKey(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
  }
}

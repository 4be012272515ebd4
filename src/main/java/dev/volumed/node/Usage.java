package dev.volumed.node;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.nio.file.Path;

/** How full a mounted volume is, from statvfs(3) of its mount. */
public record Usage(long totalBytes, long usedBytes, long availableBytes, long totalInodes, long usedInodes,
    long availableInodes) {

  /** A block volume: only its size is known. */
  public static Usage ofDevice(long bytes) {
    return new Usage(bytes, -1, -1, -1, -1, -1);
  }

  public boolean hasFileSystem() {
    return usedBytes >= 0;
  }

  static Usage ofMount(Path path) throws NodeException {
    try (Memory buf = new Memory(NodeLibC.STATVFS_SIZE)) {
      buf.clear();
      NodeLibC.INSTANCE.statvfs(path.toString(), buf);
      long frsize = buf.getLong(8);
      long blocks = buf.getLong(16);
      long bfree = buf.getLong(24);
      long bavail = buf.getLong(32);
      long files = buf.getLong(40);
      long ffree = buf.getLong(48);
      long favail = buf.getLong(56);
      return new Usage(blocks * frsize, (blocks - bfree) * frsize, bavail * frsize, files, files - ffree, favail);
    } catch (LastErrorException e) {
      throw new NodeException(NodeException.Kind.FAILED, "statvfs of " + path + " failed (errno " + e.getErrorCode()
          + ")", e);
    }
  }
}

package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The files of the templates folder, reached from the pool's root without following a symlink and
 * opened with O_NOFOLLOW. A template is made under a temporary name ({@link TempNames}: removed at
 * shutdown and at the folder's first use after start-up) and renamed into place.
 */
final class TemplateFiles {
  private static final int MAX_RECORD = 64 * 1024;

  private final Path root;
  private final String dir;
  private volatile boolean swept;

  TemplateFiles(Path root, String dir) {
    this.root = root;
    this.dir = dir;
  }

  Path pathOf(String leaf) {
    return root.resolve(dir).resolve(leaf);
  }

  /** What identifies the file that passed its check: a write to it, a rename over it or a chmod changes one of these. */
  record Stamp(Object inode, FileTime changed, long size, long blocks) {}

  /** A template open read-only. */
  record Open(int fd) implements AutoCloseable {
    Stamp stamp() throws VolumeException {
      try {
        Map<String, Object> a = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:ino,ctime,size");
        long blocks = Entry.statx(fd, "", LibC.AT_EMPTY_PATH).allocatedBytes();
        return new Stamp(a.get("ino"), (FileTime) a.get("ctime"), (Long) a.get("size"), blocks);
      } catch (IOException | LastErrorException e) {
        throw new VolumeException(ErrorCode.IO_ERROR, "Cannot stat a template: " + e, e);
      }
    }

    FileChannel channel() throws IOException {
      return FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ);
    }

    @Override
    public void close() {
      Descriptor.closeQuietly(fd);
    }
  }

  /** A template being made: its image under a temporary name until {@link #publish}. */
  final class Made implements AutoCloseable {
    private final PoolDir folder;
    private final String temp;
    private final String leaf;
    private final OpenImage image;
    private boolean published;

    private Made(PoolDir folder, String leaf, long size) throws VolumeException {
      this.folder = folder;
      this.leaf = leaf;
      this.temp = TempNames.forLeaf(leaf);
      this.image = OpenImage.create(folder, temp, size, Allocation.SPARSE, PosixFilePermissions.fromString("rw-------"));
    }

    OpenImage image() {
      return image;
    }

    Path path() {
      return folder.pathOf(temp);
    }

    /** Renames it to its name, durably, and opens it read-only. */
    Open publish() throws VolumeException {
      folder.renameReplacing(temp, leaf);
      published = true;
      folder.sync();
      try {
        return new Open(LibC.INSTANCE.open(image.devicePath().toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0));
      } catch (LastErrorException e) {
        throw Errors.errno(e.getErrorCode(), "Cannot open the template " + folder.pathOf(leaf));
      }
    }

    @Override
    public void close() {
      image.close();
      if (!published) {
        folder.unlinkQuietly(temp);
      }
      folder.close();
    }
  }

  Made create(String leaf, long size) throws VolumeException {
    PoolDir folder = folder();
    try {
      return new Made(folder, leaf, size);
    } catch (VolumeException | RuntimeException e) {
      folder.close();
      throw e;
    }
  }

  /** The template leaf opened read-only, or null when there is none. */
  Open open(String leaf) throws VolumeException {
    try (PoolDir folder = folder()) {
      return new Open(LibC.INSTANCE.openat(folder.fd(), leaf, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0));
    } catch (LastErrorException e) {
      if (e.getErrorCode() == LibC.ENOENT) {
        return null;
      }
      throw Errors.errno(e.getErrorCode(), "Cannot open the template " + pathOf(leaf));
    }
  }

  /** The small file leaf (a template's record), or an empty array when it is missing or unreadable. */
  byte[] read(String leaf) {
    try (PoolDir folder = folder()) {
      int fd = LibC.INSTANCE.openat(folder.fd(), leaf, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
      try (Memory buffer = new Memory(MAX_RECORD)) {
        long n = LibC.INSTANCE.pread(fd, buffer, MAX_RECORD, 0);
        return buffer.getByteArray(0, (int) Math.max(0, n));
      } finally {
        Descriptor.closeQuietly(fd);
      }
    } catch (VolumeException | LastErrorException e) {
      return new byte[0];
    }
  }

  /**
   * The folder, made if missing; on its first use, the temporary files an interrupted run left are
   * removed. Once, and before anyone goes on: two shapes' templates are made at once, and a sweep
   * running beside another shape's making would remove its half-made file.
   */
  private PoolDir folder() throws VolumeException {
    PoolDir folder = PoolWalk.walkToFolder(root, dir, true);
    synchronized (this) {
      if (!swept) {
        removeLeftovers(folder);
        swept = true;
      }
    }
    return folder;
  }

  /** Removes the templates an interrupted run left half-made (at start-up, where there is a templates folder). */
  void removeLeftovers() {
    if (!Files.isDirectory(root.resolve(dir))) {
      return;
    }
    try (PoolDir folder = PoolWalk.walkToFolder(root, dir, false)) {
      removeLeftovers(folder);
    } catch (VolumeException e) {
      // Left for the first use of the folder, or the shutdown's sweep of temporary files.
    }
  }

  private static void removeLeftovers(PoolDir folder) {
    try (Stream<Path> entries = Files.list(folder.path())) {
      for (String name : entries.map(p -> p.getFileName().toString()).filter(TempNames::isTemp).toList()) {
        folder.unlinkQuietly(name);
      }
    } catch (IOException e) {
      // Left for the shutdown's sweep of temporary files.
    }
  }
}

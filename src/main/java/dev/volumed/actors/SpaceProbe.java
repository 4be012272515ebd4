package dev.volumed.actors;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the size and free space of the file system that holds a pool: a statvfs, cheap enough for the ledger. */
public interface SpaceProbe {

  /** {@code total}: the file system's size; {@code free}: what a non-root writer can use (f_bavail). */
  record Space(long total, long free) {}

  Space read();

  /**
   * The real probe, through {@link FileStore}: one statvfs per read. The store is looked up once
   * (finding it parses the mount table), and the file system's size, which changes only when it
   * is resized, is read again at most once a minute.
   */
  static SpaceProbe of(Path path) {
    return new SpaceProbe() {
      private static final long TOTAL_MAX_AGE_NANOS = 60_000_000_000L;
      private FileStore store;
      private long total;
      private long totalReadAt;

      @Override
      public Space read() {
        try {
          if (store == null) {
            store = Files.getFileStore(path);
          }
          long now = System.nanoTime();
          if (totalReadAt == 0 || now - totalReadAt > TOTAL_MAX_AGE_NANOS) {
            total = store.getTotalSpace();
            totalReadAt = now;
          }
          return new Space(total, store.getUsableSpace());
        } catch (IOException e) {
          throw new IllegalStateException("cannot read the file system of " + path + ": " + e.getMessage(), e);
        }
      }
    };
  }
}

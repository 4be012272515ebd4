package dev.volumed.actors;

import dev.volumed.accounting.Space;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the size and free space of the file system that holds a pool: a statvfs, cheap enough to
 * read at every fallocate decision. The ledger reads it on its own turn only, when {@link
 * SpaceReadings} says; a test passes its own probe to {@link Ledger#create}.
 */
public interface SpaceProbe {

  Space read();

  /**
   * The real probe, through {@link FileStore}: one statvfs per read. The store is looked up once
   * (finding it parses the mount table), and the file system's size, which changes only when it
   * is resized, is read again at most once a minute. Safe from any thread: what it caches is one
   * immutable snapshot, replaced whole (two threads at once may both read the size; neither sees
   * half of the other's).
   */
  static SpaceProbe of(Path path) {
    return new SpaceProbe() {
      private static final long TOTAL_MAX_AGE_NANOS = 60_000_000_000L;

      /** The store, the file system's size, and when that was read. */
      private record Cached(FileStore store, long total, long totalReadAt) {}

      private volatile Cached cached;

      @Override
      public Space read() {
        try {
          Cached c = cached;
          long now = System.nanoTime();
          if (c == null || now - c.totalReadAt() > TOTAL_MAX_AGE_NANOS) {
            FileStore store = c == null ? Files.getFileStore(path) : c.store();
            c = new Cached(store, store.getTotalSpace(), now);
            cached = c;
          }
          return new Space(c.total(), c.store().getUsableSpace());
        } catch (IOException e) {
          throw new IllegalStateException("cannot read the file system of " + path + ": " + e.getMessage(), e);
        }
      }
    };
  }
}

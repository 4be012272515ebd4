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

  /** The real probe, through {@link FileStore}. */
  static SpaceProbe of(Path path) {
    return () -> {
      try {
        FileStore store = Files.getFileStore(path);
        return new Space(store.getTotalSpace(), store.getUsableSpace());
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the file system of " + path + ": " + e.getMessage(), e);
      }
    };
  }
}

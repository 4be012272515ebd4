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
   * The real probe, through {@link FileStore}. The store is looked up once, when first read
   * (finding it parses the mount table); each read after that is a statvfs.
   */
  static SpaceProbe of(Path path) {
    FileStore[] store = new FileStore[1];
    return () -> {
      try {
        if (store[0] == null) {
          store[0] = Files.getFileStore(path);
        }
        return new Space(store[0].getTotalSpace(), store[0].getUsableSpace());
      } catch (IOException e) {
        throw new IllegalStateException("cannot read the file system of " + path + ": " + e.getMessage(), e);
      }
    };
  }
}

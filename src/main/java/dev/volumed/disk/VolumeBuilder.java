package dev.volumed.disk;

import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.protocol.ErrorCode;
import dev.volumed.protocol.VolumeException;
import dev.volumed.settings.PoolSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blocking steps of making and removing one volume, in the order that keeps a crash harmless:
 * build under a temporary name, format, set ownership, write metadata, fsync, rename, fsync the
 * folder. On failure everything this call made is removed again.
 */
public final class VolumeBuilder {
  private static final Logger log = LoggerFactory.getLogger(VolumeBuilder.class);

  private final PoolSettings pool;
  private final PoolStore store;
  private final Formatter formatter;

  public VolumeBuilder(PoolSettings pool, PoolStore store, Formatter formatter) {
    this.pool = pool;
    this.store = store;
    this.formatter = formatter;
  }

  public Volume create(VolumeSpec spec) throws VolumeException {
    formatter.checkAvailable(spec.fs());
    Path root = store.root();
    // Refuse symlinks before anything is made, then note which folders this call creates.
    ImageFiles.resolve(root, spec.name(), false);
    List<Path> createdFolders = missingFolders(root, spec.name());
    Path image = ImageFiles.resolve(root, spec.name(), true);
    Path temp = ImageFiles.tempPathFor(image);
    boolean metadataWritten = false;
    try {
      ImageFiles.allocate(temp, spec.size(), spec.allocation(), pool.mode());
      formatter.format(temp, spec.fs(), spec.label().orElse(null), spec.mkfsArgs(), spec.allocation());
      ImageFiles.setOwnership(temp, pool.owner().orElse(null), pool.group().orElse(null));
      Volume volume = new Volume(spec, Instant.now(), ImageFiles.allocatedBytes(temp), Volume.State.READY, false);
      store.writeMetadata(volume);
      metadataWritten = true;
      ImageFiles.publish(temp, image);
      return volume;
    } catch (VolumeException | IOException | RuntimeException e) {
      ImageFiles.removeQuietly(temp);
      if (metadataWritten) {
        deleteMetadataQuietly(spec.name());
      }
      for (Path folder : createdFolders) {
        removeEmptyFolder(folder);
      }
      if (e instanceof VolumeException ve) {
        throw ve;
      }
      throw new VolumeException(ErrorCode.IO_ERROR,
          "creating " + spec.name() + " in pool " + pool.name() + " failed: " + e.getMessage(), e);
    }
  }

  public void delete(String name) throws VolumeException {
    Path image = ImageFiles.resolve(store.root(), name, false);
    try {
      ImageFiles.deleteDurably(image);
    } catch (VolumeException e) {
      if (e.code() != ErrorCode.NOT_FOUND) {
        throw e;
      }
      log.warn("pool {}: image {} was already gone; dropping it from the books", pool.name(), name);
    }
    try {
      store.deleteMetadata(name);
    } catch (IOException e) {
      log.warn("pool {}: image {} deleted but its metadata could not be: {}", pool.name(), name, e.toString());
    }
    store.pruneEmptyParents(image);
  }

  /** The folders above the image that do not exist yet, deepest first. */
  private static List<Path> missingFolders(Path root, String name) {
    List<Path> missing = new ArrayList<>();
    Path folder = root.resolve(name).getParent();
    while (folder != null && !folder.equals(root) && !Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
      missing.add(folder);
      folder = folder.getParent();
    }
    return missing;
  }

  private void deleteMetadataQuietly(String name) {
    try {
      store.deleteMetadata(name);
    } catch (IOException e) {
      log.warn("pool {}: cannot remove metadata of failed volume {}: {}", pool.name(), name, e.toString());
    }
  }

  private static void removeEmptyFolder(Path folder) {
    try {
      Files.deleteIfExists(folder);
    } catch (IOException notEmpty) {
      // Another volume is being made in it: it stays.
    }
  }
}

package dev.volumed.disk;

import dev.volumed.model.FormatOverhead;
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

  /** An image built and formatted under its temporary name, not yet published. */
  public record Prepared(Volume volume, Path temp, Path image) {}

  /** Builds, formats and publishes one volume. */
  public Volume create(VolumeSpec spec) throws VolumeException {
    Prepared prepared = prepare(spec);
    publish(prepared);
    return prepared.volume();
  }

  /**
   * Builds and formats the image under a temporary name in its final folder, with its mode and
   * ownership set. Flushing it is left to {@link #publish}, so that a batch can run its next
   * mkfs while this image's blocks are written out.
   */
  public Prepared prepare(VolumeSpec spec) throws VolumeException {
    formatter.checkAvailable(spec.fs());
    Path root = store.root();
    // Refuse symlinks before anything is made.
    ImageFiles.resolve(root, spec.name(), false);
    Path image = ImageFiles.resolve(root, spec.name(), true);
    Path temp = ImageFiles.tempPathFor(image);
    try {
      allocate(spec, image, temp);
      formatter.format(temp, spec.fs(), spec.label().orElse(null), spec.mkfsArgs(), spec.allocation());
      ImageFiles.setOwnership(temp, pool.owner().orElse(null), pool.group().orElse(null));
      Volume volume = new Volume(spec, Instant.now(), ImageFiles.allocatedBytes(temp), Volume.State.READY, false);
      return new Prepared(volume, temp, image);
    } catch (VolumeException | IOException | RuntimeException e) {
      VolumeException failure = outOfSpace(spec, image, namingTheVolume(asVolumeException(spec.name(), e), temp,
          spec.name()));
      discard(new Prepared(null, temp, image));
      throw failure;
    }
  }

  /** fsyncs the image, writes its metadata and renames it to its final name, durably. */
  public void publish(Prepared prepared) throws VolumeException {
    String name = prepared.volume().name();
    try {
      store.writeMetadata(prepared.volume());
      ImageFiles.publish(prepared.temp(), prepared.image());
    } catch (VolumeException | IOException | RuntimeException e) {
      deleteMetadataQuietly(name);
      discard(prepared);
      throw asVolumeException(name, e);
    }
  }

  /** See {@link PoolStore#beginBatch}: from here until {@link #endBatch} a crash undoes the batch. */
  public void beginBatch(String batchId, java.util.List<String> names) throws VolumeException {
    try {
      store.beginBatch(batchId, names);
    } catch (IOException e) {
      throw new VolumeException(ErrorCode.IO_ERROR, "cannot note the batch in pool " + pool.name() + ": " + e, e);
    }
  }

  public void endBatch(String batchId) throws VolumeException {
    try {
      store.endBatch(batchId);
    } catch (IOException e) {
      throw new VolumeException(ErrorCode.IO_ERROR, "cannot end the batch's note in pool " + pool.name() + ": " + e, e);
    }
  }

  /** Removes a prepared image that will not be published, and the folders it leaves empty. */
  public void discard(Prepared prepared) {
    ImageFiles.removeQuietly(prepared.temp());
    store.pruneEmptyParents(prepared.image());
  }

  /**
   * Creates the temporary image. A failed volume of the same folder may prune the folder between
   * its creation and this call; then the folder is made again, once.
   */
  private void allocate(VolumeSpec spec, Path image, Path temp) throws VolumeException {
    try {
      ImageFiles.allocate(temp, spec.size(), spec.allocation(), pool.mode());
    } catch (VolumeException e) {
      if (Files.isDirectory(image.getParent(), LinkOption.NOFOLLOW_LINKS)) {
        throw e;
      }
      ImageFiles.resolve(store.root(), spec.name(), true);
      ImageFiles.allocate(temp, spec.size(), spec.allocation(), pool.mode());
    }
  }

  /**
   * A mkfs that failed because the file system filled up is INSUFFICIENT_SPACE, not a format
   * problem: mke2fs and mkfs.xfs say "No space left on device", mkfs.btrfs only "Input/output
   * error", so the free space is read too (before the partial image is removed).
   */
  private VolumeException outOfSpace(VolumeSpec spec, Path image, VolumeException e) {
    if (e.code() != ErrorCode.FORMAT_FAILED) {
      return e;
    }
    long free;
    try {
      free = Files.getFileStore(image.getParent()).getUsableSpace();
    } catch (IOException unreadable) {
      return e;
    }
    boolean full = e.getMessage().contains("No space left on device")
        || free < FormatOverhead.estimate(spec.fs(), spec.size());
    if (!full) {
      return e;
    }
    return new VolumeException(ErrorCode.INSUFFICIENT_SPACE, "formatting " + spec.name() + " ran out of space on"
        + " the file system of pool " + pool.name() + " (" + free + " bytes free); free space there, or use"
        + " another pool. " + e.getMessage(), e.details(), e);
  }

  /** Tools' messages name the temporary file; the client knows the volume by its name. */
  private static VolumeException namingTheVolume(VolumeException e, Path temp, String name) {
    if (e.getMessage() == null || !e.getMessage().contains(temp.toString())) {
      return e;
    }
    return new VolumeException(e.code(), e.getMessage().replace(temp.toString(), name), e.details(), e.getCause());
  }

  private VolumeException asVolumeException(String name, Exception e) {
    if (e instanceof VolumeException ve) {
      return ve;
    }
    return new VolumeException(ErrorCode.IO_ERROR,
        "creating " + name + " in pool " + pool.name() + " failed: " + e.getMessage(), e);
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

  private void deleteMetadataQuietly(String name) {
    try {
      store.deleteMetadata(name);
    } catch (IOException e) {
      log.warn("pool {}: cannot remove metadata of failed volume {}: {}", pool.name(), name, e.toString());
    }
  }


}

package dev.volumed.disk;

import dev.volumed.model.FormatOverhead;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import dev.volumed.settings.PoolSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
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
  private final VolumeChanges changes;
  private final Templates templates;

  public VolumeBuilder(PoolSettings pool, PoolStore store, Formatter formatter) {
    this(pool, store, formatter, OptionalLong.empty());
  }

  /** maxWriteBytesPerSecond: volumed.io's pace of the zeros a full volume's resize writes. */
  public VolumeBuilder(PoolSettings pool, PoolStore store, Formatter formatter, OptionalLong maxWriteBytesPerSecond) {
    this.pool = pool;
    this.store = store;
    this.formatter = formatter;
    this.changes = new VolumeChanges(pool.name(), store, formatter, maxWriteBytesPerSecond);
    this.templates = new Templates(store.root(), pool.name(), formatter);
  }

  /** The changes in place of this pool's published volumes (resize, reclaim). */
  public VolumeChanges changes() {
    return changes;
  }

  /**
   * An image built and formatted under its temporary name, not yet published. It holds its folder open
   * (found without following any symlink), so publishing or discarding it works in that very folder;
   * {@link #publish} and {@link #discard} close it.
   */
  public record Prepared(Volume volume, Path temp, Path image, PoolDir folder) {}

  /** Builds, formats and publishes one volume. */
  public Volume create(VolumeSpec spec) throws VolumeException {
    return publish(prepare(spec));
  }

  /**
   * Builds and formats the image under a temporary name in its final folder, with its mode and
   * ownership set; {@link #publish} flushes it, writes its metadata and renames it. The folder
   * is reached from the pool's root one component at a time without following a symlink, the image is
   * created in it with O_EXCL|O_NOFOLLOW, and every later step (sizing, mkfs, ownership, fsync) works on
   * that open file, so a name swapped for a symlink meanwhile cannot redirect any of it.
   */
  public Prepared prepare(VolumeSpec spec) throws VolumeException {
    formatter.checkAvailable(spec.fs());
    String name = spec.name();
    String leaf = PoolWalk.leafOf(name);
    Path image = store.root().resolve(name);
    PoolDir folder = PoolWalk.walk(store.root(), name, true);
    String tempName = TempNames.forLeaf(leaf);
    boolean kept = false;
    boolean formatting = false;
    Path device = null;
    try {
      PoolWalk.refuseSymlink(folder, leaf, name);
      OpenImage created;
      try {
        created = OpenImage.create(folder, tempName, spec.size(), spec.allocation(), pool.mode());
      } catch (VolumeException e) {
        if (!folder.removed()) {
          throw e;
        }
        // A failed volume of the same folder pruned it after our walk: make it again, once.
        folder.close();
        folder = PoolWalk.walk(store.root(), name, true);
        PoolWalk.refuseSymlink(folder, leaf, name);
        created = OpenImage.create(folder, tempName, spec.size(), spec.allocation(), pool.mode());
      }
      try (OpenImage open = created) {
        device = open.devicePath();
        // ext2/3/4: a copy of the shape's template, given its own identity; else (or where it cannot be) mkfs.
        formatting = true;
        if (!templates.formatByCloning(open, spec)) {
          formatter.format(device, spec.fs(), spec.label().orElse(null), spec.mkfsArgs(), spec.allocation());
        }
        formatting = false;
        open.setOwnership(pool.owner().orElse(null), pool.group().orElse(null));
        Volume volume = new Volume(spec, Instant.now(), open.allocatedBytes(), Volume.State.READY, false);
        kept = true;
        return new Prepared(volume, folder.pathOf(tempName), image, folder);
      }
    } catch (VolumeException | RuntimeException e) {
      // Evaluated before the finally block removes the partial image: its blocks still count.
      throw outOfSpace(spec, image, formatting,
          namingTheVolume(asVolumeException(name, e), Arrays.asList(folder.pathOf(tempName), device), name));
    } finally {
      if (!kept) {
        folder.unlinkQuietly(tempName);
        folder.close();
        store.pruneEmptyParents(image);
      }
    }
  }

  /** Flushes the image, writes its metadata and renames it to its final name in its folder, durably. */
  /** The volume as published: its blocks measured again once flushed (delayed allocation settles then). */
  public Volume publish(Prepared prepared) throws VolumeException {
    return publish(prepared, true);
  }

  /**
   * Publishes without a single fsync, for an atomic batch: it has noted itself on disk first
   * ({@link #beginBatch}), so a crash before its {@link #commitBatch} removes these volumes at
   * start-up whatever state their blocks were in; the commit then flushes the file system once
   * for the whole batch instead of three times per volume.
   */
  public void publishUnsynced(Prepared prepared) throws VolumeException {
    publish(prepared, false);
  }

  private Volume publish(Prepared prepared, boolean durably) throws VolumeException {
    String name = prepared.volume().name();
    Volume volume = prepared.volume();
    try {
      if (durably) {
        // Flushed here, not in prepare: a batch runs its next mkfs while this image's blocks go out.
        String temp = prepared.temp().getFileName().toString();
        prepared.folder().syncFile(temp);
        Optional<Entry> flushed = prepared.folder().entry(temp);
        if (flushed.isPresent()) {
          volume = volume.withAllocatedBytes(flushed.get().allocatedBytes());
        }
      }
      store.writeMetadata(volume, durably);
      prepared.folder().renameNoReplace(prepared.temp().getFileName().toString(), PoolWalk.leafOf(name));
      if (durably) {
        prepared.folder().sync();
      }
      prepared.folder().close();
      return volume;
    } catch (VolumeException | IOException | RuntimeException e) {
      deleteMetadataQuietly(name);
      discard(prepared);
      throw asVolumeException(name, e);
    }
  }

  /** Flushes the whole pool file system, then removes the batch's note: the batch has happened. */
  public void commitBatch(String batchId) throws VolumeException {
    PoolFiles.syncFileSystem(store.root());
    endBatch(batchId);
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
    PoolDir folder = prepared.folder();
    if (folder.isOpen()) {
      folder.unlinkQuietly(prepared.temp().getFileName().toString());
      folder.close();
    }
    store.pruneEmptyParents(prepared.image());
  }

  /**
   * A mkfs that failed because the file system filled up is INSUFFICIENT_SPACE, not a format
   * problem: mke2fs and mkfs.xfs say "No space left on device", mkfs.btrfs only "Input/output
   * error", so the free space is read too (before the partial image is removed). Making or
   * copying a template that fills the file system is the same failure, told the same way.
   */
  private VolumeException outOfSpace(VolumeSpec spec, Path image, boolean formatting, VolumeException e) {
    // While formatting, a template's own files may be what found the file system full.
    if (e.code() != ErrorCode.FORMAT_FAILED && !(formatting && e.code() == ErrorCode.INSUFFICIENT_SPACE)) {
      return e;
    }
    long free;
    try {
      free = Files.getFileStore(image.getParent()).getUsableSpace();
    } catch (IOException unreadable) {
      return e;
    }
    boolean full = e.getMessage().contains("No space left on device")
        || free < FormatOverhead.estimate(spec);
    if (!full) {
      return e;
    }
    return new VolumeException(ErrorCode.INSUFFICIENT_SPACE, "formatting " + spec.name() + " ran out of space on"
        + " the file system of pool " + pool.name() + " (" + free + " bytes free); free space there, or use"
        + " another pool. " + e.getMessage(), e.details(), e);
  }

  /** Tools' messages name the temporary file or its descriptor; the client knows the volume by its name. */
  private static VolumeException namingTheVolume(VolumeException e, List<Path> internal, String name) {
    String message = e.getMessage();
    if (message == null) {
      return e;
    }
    for (Path p : internal) {
      if (p != null) {
        message = message.replace(p.toString(), name);
      }
    }
    if (message.equals(e.getMessage())) {
      return e;
    }
    return new VolumeException(e.code(), message, e.details(), e.getCause());
  }

  private VolumeException asVolumeException(String name, Exception e) {
    if (e instanceof VolumeException ve) {
      return ve;
    }
    return new VolumeException(ErrorCode.IO_ERROR,
        "creating " + name + " in pool " + pool.name() + " failed: " + e.getMessage(), e);
  }

  /** BUSY naming every holder when something holds the volume's image open (see {@link Holders}). */
  public void refuseIfHeld(String name, String op) throws VolumeException {
    Holders.refuseIfHeld(store.root(), name, pool.name(), op);
  }

  /**
   * Unlinks the image (reached without following any symlink), its metadata, and the folders it leaves
   * empty. Where a folder stands at the image's name (a damaged volume), only an empty one is removed:
   * volumed never deletes what it did not make, so a folder with something in it stays, and the
   * volume's metadata and books entry go all the same.
   */
  public void delete(String name) throws VolumeException {
    try (PoolDir folder = PoolWalk.walk(store.root(), name, false)) {
      String leaf = PoolWalk.leafOf(name);
      if (folder.entry(leaf).map(Entry::isFolder).orElse(false)) {
        if (folder.removeEmptyFolder(leaf)) {
          folder.sync();
        } else {
          log.warn("pool {}: a folder stands at the image {} and is not empty; it is left as it is, the volume's"
              + " metadata is removed", pool.name(), folder.pathOf(leaf));
        }
      } else if (folder.unlink(leaf)) {
        folder.sync();
      } else {
        log.warn("pool {}: image {} was already gone; dropping it from the books", pool.name(), name);
      }
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
    store.pruneEmptyParents(store.root().resolve(name));
  }

  private void deleteMetadataQuietly(String name) {
    try {
      store.deleteMetadata(name);
    } catch (IOException e) {
      log.warn("pool {}: cannot remove metadata of failed volume {}: {}", pool.name(), name, e.toString());
    }
  }
}

package dev.volumed.disk;

import dev.volumed.model.FileSystemType;
import dev.volumed.model.Names;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start-up, each resize that a crash interrupted (its {@link ResizeNotes note} is still there) is
 * ended so that the image, the file system inside it and the metadata agree, at the old size or the
 * new one:
 * <ul>
 *   <li>metadata already at the new size: the resize had committed; only the note goes;
 *   <li>xfs or btrfs whose image is already at the new length: finished, as they cannot be shrunk.
 *       The crash may have come before xfs_growfs or btrfs resize ran, so the file system is grown
 *       to fill the image here ({@link FileSystemGrowth}, the resize's own step; on one that had
 *       grown already both tools change nothing), and only then is the new size committed. If it
 *       cannot be grown now (volumed no longer runs as root, a tool is missing, the mount fails) the
 *       metadata keeps the old size and the note stays: the volume loads DAMAGED (its image is longer
 *       than its metadata says), so no change is taken that would trust a size its file system does
 *       not have (a resize to the new size would answer "unchanged" and never grow it), and the next
 *       start-up that can grow it finishes the resize;
 *   <li>otherwise undone: ext's overwritten blocks put back from the undo file (e2undo), the image
 *       cut back to its old length, swap's header written again for it.
 * </ul>
 */
final class ResizeRecovery {
  private static final Logger log = LoggerFactory.getLogger(PoolStore.class);

  private final PoolStore store;
  private final ResizeNotes notes;
  private final FileSystemGrowth growth;

  ResizeRecovery(PoolStore store, Formatter formatter) {
    this.store = store;
    this.notes = new ResizeNotes(store.root());
    this.growth = new FileSystemGrowth(new ChangeTools(formatter));
  }

  void recover() throws IOException {
    for (Path file : notes.found()) {
      ResizeNotes.Note note;
      try {
        note = ResizeNotes.read(file);
      } catch (IOException e) {
        log.warn("pool {}: {} is not a readable resize note ({}); removed", store.poolName(), file, e.getMessage());
        Files.deleteIfExists(file);
        continue;
      }
      if (Names.problem(note.name()) != null) {
        Files.deleteIfExists(file);
        continue;
      }
      try {
        if (end(note)) {
          notes.end(note.name());
        }
      } catch (VolumeException e) {
        throw new IOException("cannot end the interrupted resize of " + note.name() + ": " + e.getMessage(), e);
      }
    }
  }

  /** Ends one interrupted resize; false when it must wait for a later start-up (its note stays). */
  private boolean end(ResizeNotes.Note note) throws VolumeException, IOException {
    String name = note.name();
    Volume recorded;
    try {
      recorded = Metadata.volume(name, Files.readAllBytes(store.metadataPath(name)));
    } catch (NoSuchFileException e) {
      log.warn("pool {}: an interrupted resize of {} whose metadata is gone; its note is removed", store.poolName(), name);
      return true;
    }
    if (recorded.spec().size() == note.to()) {
      log.info("pool {}: the resize of {} to {} bytes had committed; it stays at its new size", store.poolName(),
          name, note.to());
      return true;
    }
    FileSystemType fs = recorded.spec().fs();
    try (PoolDir folder = PoolWalk.walk(store.root(), name, false);
        OpenImage image = OpenImage.open(folder, PoolWalk.leafOf(name))) {
      if (FileSystemGrowth.growsForwardOnly(fs) && image.size() == note.to()) {
        return finishGrowth(recorded, note, image);
      }
      growth.undoBefore(fs, image.devicePath(), notes.undoFile(name), name);
      image.shrinkTo(note.from());
      growth.afterShrink(fs, image.devicePath(), name);
      log.warn("pool {}: the resize of {} to {} bytes was interrupted; undone, it is back at {} bytes",
          store.poolName(), name, note.to(), note.from());
      return true;
    } catch (VolumeException e) {
      if (e.code() == dev.volumed.model.ErrorCode.NOT_FOUND) {
        log.warn("pool {}: an interrupted resize of {} whose image is gone; its note is removed", store.poolName(), name);
        return true;
      }
      throw e;
    }
  }

  /** An xfs/btrfs image at its new length: its file system grown to fill it, then the new size committed. */
  private boolean finishGrowth(Volume recorded, ResizeNotes.Note note, OpenImage image)
      throws VolumeException, IOException {
    String name = note.name();
    FileSystemType fs = recorded.spec().fs();
    try {
      growth.precheck(fs, image.devicePath(), name);
      growth.grow(fs, image.devicePath(), notes.undoFile(name), name);
      image.sync();
    } catch (VolumeException e) {
      log.error("pool {}: the resize of {} ({}) to {} bytes was interrupted after its image grew, and its file system"
          + " cannot be grown now: {}. It stays at {} bytes in its metadata and loads damaged; its note stays, and the"
          + " next start-up that can grow it (as root) finishes the resize", store.poolName(), name, fs.wireName(),
          note.to(), e.getMessage(), recorded.spec().size());
      return false;
    }
    store.writeMetadata(new Volume(recorded.spec().withSize(note.to()), recorded.createdAt(), 0,
        Volume.State.READY, recorded.adopted()));
    log.warn("pool {}: the resize of {} ({}) was interrupted after its image grew; its file system is grown to fill"
        + " it and it is kept at its new size of {} bytes ({} cannot be shrunk)", store.poolName(), name,
        fs.wireName(), note.to(), fs.wireName());
    return true;
  }
}

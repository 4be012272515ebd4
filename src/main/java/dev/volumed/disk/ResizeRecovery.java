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
 * ended so that the image and its metadata agree, at the old size or the new one:
 * <ul>
 *   <li>metadata already at the new size: the resize had committed; only the note goes;
 *   <li>xfs or btrfs whose image is already at the new length: kept at the new size (they cannot
 *       be shrunk, and a grown or not yet grown one both check clean in the longer image);
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
        end(note);
        notes.end(note.name());
      } catch (VolumeException e) {
        throw new IOException("cannot end the interrupted resize of " + note.name() + ": " + e.getMessage(), e);
      }
    }
  }

  private void end(ResizeNotes.Note note) throws VolumeException, IOException {
    String name = note.name();
    Volume recorded;
    try {
      recorded = Metadata.volume(name, Files.readAllBytes(store.metadataPath(name)));
    } catch (NoSuchFileException e) {
      log.warn("pool {}: an interrupted resize of {} whose metadata is gone; its note is removed", store.poolName(), name);
      return;
    }
    if (recorded.spec().size() == note.to()) {
      log.info("pool {}: the resize of {} to {} bytes had committed; it stays at its new size", store.poolName(),
          name, note.to());
      return;
    }
    FileSystemType fs = recorded.spec().fs();
    try (PoolDir folder = PoolWalk.walk(store.root(), name, false);
        OpenImage image = OpenImage.open(folder, PoolWalk.leafOf(name))) {
      if (FileSystemGrowth.growsForwardOnly(fs) && image.size() == note.to()) {
        store.writeMetadata(new Volume(recorded.spec().withSize(note.to()), recorded.createdAt(), 0,
            Volume.State.READY, recorded.adopted()));
        log.warn("pool {}: the resize of {} ({}) was interrupted after its image grew; it is kept at its new size"
            + " of {} bytes ({} cannot be shrunk)", store.poolName(), name, fs.wireName(), note.to(), fs.wireName());
        return;
      }
      growth.undoBefore(fs, image.devicePath(), notes.undoFile(name), name);
      image.shrinkTo(note.from());
      growth.afterShrink(fs, image.devicePath(), name);
      log.warn("pool {}: the resize of {} to {} bytes was interrupted; undone, it is back at {} bytes",
          store.poolName(), name, note.to(), note.from());
    } catch (VolumeException e) {
      if (e.code() == dev.volumed.model.ErrorCode.NOT_FOUND) {
        log.warn("pool {}: an interrupted resize of {} whose image is gone; its note is removed", store.poolName(), name);
        return;
      }
      throw e;
    }
  }
}

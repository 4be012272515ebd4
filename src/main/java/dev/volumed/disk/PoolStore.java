package dev.volumed.disk;

import dev.volumed.model.Capabilities;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.VolumeException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool on disk: its images and, beside them under {@code .volumed/meta/}, one small JSON file
 * per volume with what the image itself cannot tell (allocation, label as asked, creation time)
 * ({@link Metadata}), written and removed by {@link PoolFiles}; and the measuring of images by name,
 * each reached from the pool's root by a {@link PoolWalk} that never follows a symlink.
 * Every method blocks; the ledger calls them on the blocking dispatcher.
 */
public final class PoolStore {
  private static final Logger log = LoggerFactory.getLogger(PoolStore.class);
  static final String META_DIR = ".volumed/meta";
  static final String META_SUFFIX = ".json";
  static final String BATCH_DIR = ".volumed/batches";

  private final String poolName;
  private final Path root;
  private final Formatter formatter;

  public PoolStore(String poolName, Path root, Formatter formatter) {
    this.poolName = poolName;
    this.root = root;
    this.formatter = formatter;
  }

  String poolName() {
    return poolName;
  }

  public Path root() {
    return root;
  }

  /**
   * Rebuilds the books from what is on disk at start-up (see {@link PoolLoader}): removes temporary
   * leftovers of interrupted work and undoes unfinished atomic batches first.
   */
  public List<Volume> load() {
    return new PoolLoader(this, formatter, true).load();
  }

  /**
   * Reads the books from disk again while volumed runs (after a ledger failed): the same as
   * {@link #load} except that nothing is removed, since work may be in flight.
   */
  public List<Volume> reload() {
    return new PoolLoader(this, formatter, false).load();
  }

  /** What the pool's file system can do, probed now with scratch files that are removed again. */
  public Capabilities capabilities() {
    return CapabilityProbe.probe(poolName, root);
  }

  /**
   * Notes, durably, that an atomic batch is about to publish these volumes. Until the note is
   * removed the batch has not happened: a start-up that finds it removes the volumes again.
   */
  public void beginBatch(String batchId, List<String> names) throws IOException {
    try {
      PoolFiles.write(root, batchNote(batchId), Metadata.noteBytes(names), true);
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** The batch's volumes are all published: removing the note is the batch's commit. */
  public void endBatch(String batchId) throws IOException {
    try {
      PoolFiles.deleteDurably(root, batchNote(batchId));
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private static String batchNote(String batchId) {
    return BATCH_DIR + "/" + batchId + META_SUFFIX;
  }

  /** Removes the temporary files of work that did not finish (at shutdown, after the grace period). */
  public int removeLeftovers() {
    int[] removed = {0};
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          if (TempNames.isTemp(file.getFileName().toString()) && removeInPool(file)) {
            removed[0]++;
          }
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      log.warn("pool {}: removing leftovers: {}", poolName, e.toString());
    }
    return removed[0];
  }

  /** Each volume's image checked against its metadata: the blocks it really uses, and its damage if any. */
  public Map<String, ImageCheck.Result> measure(List<VolumeSpec> specs) {
    Map<String, ImageCheck.Result> result = new HashMap<>();
    try (Folders folders = new Folders(root)) {
      for (VolumeSpec spec : specs) {
        result.put(spec.name(), ImageCheck.check(folders, spec));
      }
    }
    return result;
  }

  /**
   * Writes a volume's metadata durably: temporary file, fsync, rename, fsync the folder, all reached
   * from the pool's root without following any symlink.
   */
  public void writeMetadata(Volume volume) throws IOException {
    writeMetadata(volume, true);
  }

  /** Without {@code durably} the fsyncs are left to a later flush of the whole file system. */
  public void writeMetadata(Volume volume, boolean durably) throws IOException {
    byte[] bytes = Metadata.bytes(volume);
    try {
      PoolFiles.write(root, metadataName(volume.name()), bytes, durably);
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  public void deleteMetadata(String name) throws IOException {
    try {
      PoolFiles.deleteDurably(root, metadataName(name));
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Removes the empty folders above an image, up to the pool's root (never through a symlink). */
  public void pruneEmptyParents(Path image) {
    Path base = root.toAbsolutePath().normalize();
    Path file = image.toAbsolutePath().normalize();
    if (file.startsWith(base) && !file.equals(base)) {
      PoolFiles.pruneEmptyFolders(base, base.relativize(file).toString());
    }
  }

  static String metadataName(String name) {
    return META_DIR + "/" + name + META_SUFFIX;
  }

  /**
   * Unlinks a file found by a scan of the pool, reaching it again from the root without following any
   * symlink: a folder swapped for a link after the scan saw it cannot redirect the unlink.
   */
  boolean removeInPool(Path file) {
    try {
      return PoolFiles.deleteDurably(root, root.relativize(file).toString());
    } catch (VolumeException e) {
      log.warn("pool {}: cannot remove {}: {}", poolName, file, e.getMessage());
      return false;
    }
  }

  Path metadataPath(String name) {
    return root.resolve(META_DIR).resolve(name + META_SUFFIX);
  }

  // ---- measuring by name, never through a symlink ------------------------------------------------

  /**
   * The volumes with the blocks their images use now (READY ones; the others as they are), each image
   * reached from the pool's root without following any symlink; a folder is walked to once for the
   * whole list. A volume whose image cannot be measured (gone, or behind a symlink) keeps its figure.
   */
  public static List<Volume> measured(Path poolRoot, List<Volume> volumes) {
    try (Folders folders = new Folders(poolRoot)) {
      List<Volume> result = new ArrayList<>(volumes.size());
      for (Volume volume : volumes) {
        result.add(volume.state() == Volume.State.READY ? measuredIn(folders, volume) : volume);
      }
      return result;
    }
  }

  /** {@link #measured(Path, List)} of one volume. */
  public static Volume measured(Path poolRoot, Volume volume) {
    return measured(poolRoot, List.of(volume)).get(0);
  }

  private static Volume measuredIn(Folders folders, Volume volume) {
    try {
      return folders.entry(volume.name()).map(e -> volume.withAllocatedBytes(e.allocatedBytes())).orElse(volume);
    } catch (VolumeException e) {
      return volume;
    }
  }

  /**
   * st_blocks * 512 of the volume name in the pool at poolRoot: the bytes its image really uses, reached
   * without following any symlink. NoSuchFileException when nothing is there.
   */
  public static long allocatedBytes(Path poolRoot, String name) throws IOException {
    Optional<Entry> entry;
    try {
      entry = PoolFiles.entry(poolRoot, name);
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
    if (entry.isEmpty()) {
      throw new NoSuchFileException(poolRoot.resolve(name).toString());
    }
    return entry.get().allocatedBytes();
  }
}

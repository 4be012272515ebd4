package dev.volumed.disk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.model.Names;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.protocol.VolumeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool on disk: its images and, beside them under {@code .volumed/meta/}, one small JSON file
 * per volume with what the image itself cannot tell (allocation, label as asked, creation time).
 * Every method blocks; the ledger calls them on the blocking dispatcher.
 */
public final class PoolStore {
  private static final Logger log = LoggerFactory.getLogger(PoolStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String META_DIR = ".volumed/meta";
  private static final String META_SUFFIX = ".json";
  private static final String BATCH_DIR = ".volumed/batches";

  private final String poolName;
  private final Path root;
  private final Formatter formatter;

  public PoolStore(String poolName, Path root, Formatter formatter) {
    this.poolName = poolName;
    this.root = root;
    this.formatter = formatter;
  }

  public Path root() {
    return root;
  }

  /**
   * Rebuilds the books from what is on disk: removes temporary leftovers of interrupted work,
   * reads each image's metadata, adopts images without metadata, and drops metadata whose image
   * is gone.
   */
  public List<Volume> load() {
    try {
      Files.createDirectories(root);
      PoolDir.walkToFolder(root, META_DIR, true).close(); // never through a symlink under the root
      rollBackUnfinishedBatches();
      List<Volume> volumes = new ArrayList<>();
      for (Path image : scanImages()) {
        volumes.add(loadOne(image));
      }
      removeOrphanMetadata();
      return volumes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (VolumeException e) {
      throw new UncheckedIOException(new IOException(e.getMessage(), e));
    }
  }

  /**
   * Notes, durably, that an atomic batch is about to publish these volumes. Until the note is
   * removed the batch has not happened: a start-up that finds it removes the volumes again.
   */
  public void beginBatch(String batchId, List<String> names) throws IOException {
    try {
      ImageFiles.writeDurably(root, batchNote(batchId), JSON.writeValueAsBytes(JSON.valueToTree(names)));
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** The batch's volumes are all published: removing the note is the batch's commit. */
  public void endBatch(String batchId) throws IOException {
    try {
      ImageFiles.deleteDurably(root, batchNote(batchId));
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private static String batchNote(String batchId) {
    return BATCH_DIR + "/" + batchId + META_SUFFIX;
  }

  /** An atomic batch that was publishing when volumed stopped is undone: none of it is kept. */
  private void rollBackUnfinishedBatches() throws IOException {
    Path batches = root.resolve(BATCH_DIR);
    if (!Files.isDirectory(batches, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> notes;
    try (var listing = Files.list(batches)) {
      notes = listing.toList();
    }
    try {
      for (Path note : notes) {
        String noteName = BATCH_DIR + "/" + note.getFileName();
        if (!ImageFiles.isTempName(note.getFileName().toString())) {
          int removed = 0;
          for (JsonNode name : JSON.readTree(Files.readAllBytes(note))) {
            if (Names.problem(name.asText()) == null && ImageFiles.deleteDurably(root, name.asText())) {
              removed++;
              pruneEmptyParents(root.resolve(name.asText()));
            }
            deleteMetadata(name.asText());
          }
          log.warn("pool {}: an atomic batch ({}) was publishing when volumed stopped; removed its {} published"
              + " volumes, so none of it is kept", poolName, note.getFileName(), removed);
        }
        ImageFiles.deleteDurably(root, noteName);
      }
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Removes the temporary files of work that did not finish (at shutdown, after the grace period). */
  public int removeLeftovers() {
    int[] removed = {0};
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          if (ImageFiles.isTempName(file.getFileName().toString()) && removeInPool(file)) {
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

  /** Blocks really on disk for each named volume that still exists. */
  public Map<String, Long> measure(List<String> names) {
    Map<String, Long> result = new HashMap<>();
    for (String name : names) {
      try {
        result.put(name, ImageFiles.allocatedBytes(root, name));
      } catch (IOException e) {
        log.debug("pool {}: cannot measure {}: {}", poolName, name, e.toString());
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
    byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(volume));
    try {
      ImageFiles.write(root, metadataName(volume.name()), bytes, durably);
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  public void deleteMetadata(String name) throws IOException {
    try {
      ImageFiles.deleteDurably(root, metadataName(name));
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Removes the empty folders above an image, up to the pool's root (never through a symlink). */
  public void pruneEmptyParents(Path image) {
    Path base = root.toAbsolutePath().normalize();
    Path file = image.toAbsolutePath().normalize();
    if (file.startsWith(base) && !file.equals(base)) {
      ImageFiles.pruneEmptyFolders(base, base.relativize(file).toString());
    }
  }

  private static String metadataName(String name) {
    return META_DIR + "/" + name + META_SUFFIX;
  }

  /**
   * Unlinks a file found by a scan of the pool, reaching it again from the root without following any
   * symlink: a folder swapped for a link after the scan saw it cannot redirect the unlink.
   */
  private boolean removeInPool(Path file) {
    try {
      return ImageFiles.deleteDurably(root, root.relativize(file).toString());
    } catch (VolumeException e) {
      log.warn("pool {}: cannot remove {}: {}", poolName, file, e.getMessage());
      return false;
    }
  }

  private Path metadataPath(String name) {
    return root.resolve(META_DIR).resolve(name + META_SUFFIX);
  }

  private List<Path> scanImages() throws IOException {
    List<Path> images = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        if (dir.equals(root)) {
          return FileVisitResult.CONTINUE;
        }
        if (dir.getFileName().toString().startsWith(".") || root.relativize(dir).getNameCount() >= Names.MAX_SEGMENTS) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        String fileName = file.getFileName().toString();
        if (ImageFiles.isTempName(fileName)) {
          log.info("pool {}: removing {} left by interrupted work", poolName, file);
          removeInPool(file);
          return FileVisitResult.CONTINUE;
        }
        String name = root.relativize(file).toString();
        if (attrs.isSymbolicLink()) {
          log.warn("pool {}: ignoring symlink {}: volumed never follows symlinks in a pool", poolName, file);
        } else if (!attrs.isRegularFile()) {
          log.warn("pool {}: ignoring {}: not a regular file", poolName, file);
        } else if (Names.problem(name) != null) {
          log.warn("pool {}: ignoring {}: not a valid volume name", poolName, file);
        } else {
          images.add(file);
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return images;
  }

  private Volume loadOne(Path image) throws IOException {
    String name = root.relativize(image).toString();
    long size = Files.size(image);
    long allocated = ImageFiles.allocatedBytes(image);
    Optional<Volume> recorded = readMetadata(name, allocated);
    if (recorded.isPresent()) {
      Volume volume = recorded.get();
      if (volume.spec().size() != size) {
        log.warn("pool {}: {} is {} bytes long, its metadata says {}; counting its real length",
            poolName, name, size, volume.spec().size());
        volume = withSize(volume, size);
        writeMetadata(volume);
      }
      return volume;
    }
    Volume adopted = adopt(image, name, size, allocated);
    writeMetadata(adopted);
    log.info("pool {}: adopted {} ({} bytes, fs {}, {})", poolName, name, size,
        adopted.spec().fs().wireName(), adopted.spec().allocation().wireName());
    return adopted;
  }

  private Volume adopt(Path image, String name, long size, long allocated) throws IOException {
    Optional<Formatter.Probe> probe = formatter.probe(image);
    FileSystemType fs = probe.flatMap(Formatter.Probe::fs).orElse(FileSystemType.NONE);
    Optional<String> label = probe.flatMap(Formatter.Probe::label);
    Allocation allocation = allocated >= size ? Allocation.FALLOCATE : Allocation.SPARSE;
    Instant createdAt = Files.getLastModifiedTime(image, LinkOption.NOFOLLOW_LINKS).toInstant();
    VolumeSpec spec = new VolumeSpec(name, size, fs, label, List.of(), allocation);
    return new Volume(spec, createdAt, allocated, Volume.State.READY, true);
  }

  private Optional<Volume> readMetadata(String name, long allocated) {
    Path path = metadataPath(name);
    try {
      JsonNode node = JSON.readTree(Files.readAllBytes(path));
      List<String> mkfsArgs = new ArrayList<>();
      node.path("mkfsArgs").forEach(arg -> mkfsArgs.add(arg.asText()));
      VolumeSpec spec = new VolumeSpec(
          name,
          node.get("size").asLong(),
          FileSystemType.fromWire(node.get("fs").asText()).orElseThrow(),
          node.path("label").isTextual() ? Optional.of(node.get("label").asText()) : Optional.empty(),
          mkfsArgs,
          Allocation.fromWire(node.get("allocation").asText()).orElseThrow());
      return Optional.of(new Volume(spec, Instant.parse(node.get("createdAt").asText()), allocated,
          Volume.State.READY, node.path("adopted").asBoolean(false)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      log.warn("pool {}: unreadable metadata {} ({}); adopting the image again", poolName, path, e.toString());
      return Optional.empty();
    }
  }

  private void removeOrphanMetadata() throws IOException {
    Path metaRoot = root.resolve(META_DIR);
    Files.walkFileTree(metaRoot, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        String fileName = file.getFileName().toString();
        if (ImageFiles.isTempName(fileName)) {
          removeInPool(file);
          return FileVisitResult.CONTINUE;
        }
        String relative = metaRoot.relativize(file).toString();
        if (!relative.endsWith(META_SUFFIX)
            || !Files.isRegularFile(root.resolve(relative.substring(0, relative.length() - META_SUFFIX.length())),
                LinkOption.NOFOLLOW_LINKS)) {
          log.info("pool {}: removing metadata {} whose image is gone", poolName, file);
          removeInPool(file);
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static Volume withSize(Volume volume, long size) {
    VolumeSpec s = volume.spec();
    return new Volume(new VolumeSpec(s.name(), size, s.fs(), s.label(), s.mkfsArgs(), s.allocation()),
        volume.createdAt(), volume.allocatedBytes(), volume.state(), volume.adopted());
  }

  private static ObjectNode toJson(Volume volume) {
    VolumeSpec spec = volume.spec();
    ObjectNode node = JSON.createObjectNode();
    node.put("version", 1);
    node.put("name", spec.name());
    node.put("size", spec.size());
    node.put("fs", spec.fs().wireName());
    if (spec.label().isPresent()) {
      node.put("label", spec.label().get());
    } else {
      node.putNull("label");
    }
    ArrayNode args = node.putArray("mkfsArgs");
    spec.mkfsArgs().forEach(args::add);
    node.put("allocation", spec.allocation().wireName());
    node.put("createdAt", volume.createdAt().toString());
    node.put("adopted", volume.adopted());
    return node;
  }

}

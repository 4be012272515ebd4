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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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
   * is gone. Each image is checked against its metadata ({@link ImageCheck}): one that does not match
   * is loaded DAMAGED, its metadata kept as it is. A metadata file or batch note that cannot be read
   * is moved to the quarantine and the pool loads without it.
   */
  public List<Volume> load() {
    try {
      Files.createDirectories(root);
      PoolDir.walkToFolder(root, META_DIR, true).close(); // never through a symlink under the root
      rollBackUnfinishedBatches();
      Set<String> recorded = recordedNames();
      List<Volume> volumes = new ArrayList<>();
      Set<String> images = new HashSet<>();
      for (Path image : scanImages(recorded)) {
        images.add(root.relativize(image).toString());
        loadOne(image).ifPresent(volumes::add);
      }
      for (String name : recorded) {
        if (!images.contains(name)) {
          // Something that is not a regular file stands at a recorded image's name.
          readMetadata(name).map(this::checked).ifPresent(volumes::add);
        }
      }
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
          List<String> names;
          try {
            names = readNote(note);
          } catch (IOException | RuntimeException e) {
            quarantine(noteName, "unreadable batch note (" + e.getMessage() + ")",
                "the volumes of that batch are kept, as volumed cannot tell which they were");
            continue;
          }
          int removed = 0;
          for (String name : names) {
            if (Names.problem(name) == null && ImageFiles.deleteDurably(root, name)) {
              removed++;
              pruneEmptyParents(root.resolve(name));
            }
            if (Names.problem(name) == null) {
              deleteMetadata(name);
            }
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

  /** A batch note: the JSON list of its volumes' names. */
  private static List<String> readNote(Path note) throws IOException {
    JsonNode list = JSON.readTree(Files.readAllBytes(note));
    List<String> names = new ArrayList<>();
    if (list == null || !list.isArray()) {
      throw new IOException("not a JSON list of volume names");
    }
    for (JsonNode name : list) {
      if (!name.isTextual()) {
        throw new IOException("not a JSON list of volume names");
      }
      names.add(name.asText());
    }
    return names;
  }

  /** Each volume's image checked against its metadata: the blocks it really uses, and its damage if any. */
  public Map<String, ImageCheck.Result> measure(List<VolumeSpec> specs) {
    Map<String, ImageCheck.Result> result = new HashMap<>();
    for (VolumeSpec spec : specs) {
      result.put(spec.name(), ImageCheck.check(root, spec));
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

  /** Regular files in the pool that may be volumes; a folder standing at a recorded image's name is not entered. */
  private List<Path> scanImages(Set<String> recorded) throws IOException {
    List<Path> images = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        if (dir.equals(root)) {
          return FileVisitResult.CONTINUE;
        }
        if (dir.getFileName().toString().startsWith(".") || root.relativize(dir).getNameCount() >= Names.MAX_SEGMENTS
            || recorded.contains(root.relativize(dir).toString())) {
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

  /** A volume from its image and metadata (checked), or adopted; empty when the image went away meanwhile. */
  private Optional<Volume> loadOne(Path image) throws IOException {
    String name = root.relativize(image).toString();
    Optional<Volume> recorded = readMetadata(name);
    if (recorded.isPresent()) {
      return Optional.of(checked(recorded.get()));
    }
    Volume adopted;
    try {
      adopted = adopt(image, name, Files.size(image), ImageFiles.allocatedBytes(image));
    } catch (NoSuchFileException gone) {
      log.warn("pool {}: {} went away while the pool was loading; not adopted", poolName, image);
      return Optional.empty();
    }
    writeMetadata(adopted);
    log.info("pool {}: adopted {} ({} bytes, fs {}, {})", poolName, name, adopted.spec().size(),
        adopted.spec().fs().wireName(), adopted.spec().allocation().wireName());
    return Optional.of(adopted);
  }

  /** The volume as its image is now: its metadata is kept as it is even when the image does not match. */
  private Volume checked(Volume recorded) {
    ImageCheck.Result check = ImageCheck.check(root, recorded.spec());
    if (check.damage().isPresent()) {
      log.warn("pool {}: {} is damaged: {}; it is shown \"damaged\" and keeps its recorded size in the books"
          + " until its image is restored or it is deleted", poolName, recorded.name(), check.damage().get());
    }
    return recorded.checked(check.allocatedBytes(), check.damage());
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

  /** The recorded volume, or empty when there is no metadata or it cannot be read (then it is quarantined). */
  private Optional<Volume> readMetadata(String name) throws IOException {
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
      return Optional.of(new Volume(spec, Instant.parse(node.get("createdAt").asText()), 0,
          Volume.State.READY, node.path("adopted").asBoolean(false)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      quarantine(metadataName(name), "unreadable metadata (" + e + ")", "its image is adopted again");
      return Optional.empty();
    }
  }

  /**
   * The names of the volumes that have metadata. Removes temporary leftovers, entries that name no
   * valid volume and metadata whose image is gone (nothing at its name); a folder where a volume's
   * metadata file should be is quarantined.
   */
  private Set<String> recordedNames() throws IOException {
    Path metaRoot = root.resolve(META_DIR);
    Set<String> names = new TreeSet<>();
    Files.walkFileTree(metaRoot, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        String relative = metaRoot.relativize(dir).toString();
        if (!dir.equals(metaRoot) && relative.endsWith(META_SUFFIX)) {
          String image = relative.substring(0, relative.length() - META_SUFFIX.length());
          // A folder "x.img.json" holds the metadata of volumes "x.img.json/..." unless x.img is the image it is named for.
          if (Files.isRegularFile(root.resolve(image), LinkOption.NOFOLLOW_LINKS)
              && !Files.isDirectory(root.resolve(relative), LinkOption.NOFOLLOW_LINKS)) {
            quarantine(META_DIR + "/" + relative, "a folder where the metadata file of " + image + " should be",
                "its image is adopted again");
            return FileVisitResult.SKIP_SUBTREE;
          }
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (ImageFiles.isTempName(file.getFileName().toString())) {
          removeInPool(file);
          return FileVisitResult.CONTINUE;
        }
        String relative = metaRoot.relativize(file).toString();
        String name = relative.endsWith(META_SUFFIX)
            ? relative.substring(0, relative.length() - META_SUFFIX.length()) : null;
        if (name == null || Names.problem(name) != null) {
          log.info("pool {}: removing {}: it is not the metadata of a volume", poolName, file);
          removeInPool(file);
        } else if (!Files.exists(root.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
          log.info("pool {}: removing metadata {} whose image is gone", poolName, file);
          removeInPool(file);
        } else {
          names.add(name);
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return names;
  }

  /** Moves name (under .volumed) to the quarantine with a WARN saying why and what happens instead. */
  private void quarantine(String name, String why, String consequence) throws IOException {
    try {
      Path moved = Quarantine.move(root, name);
      log.warn("pool {}: {}: {}; moved it to {}, {}", poolName, root.resolve(name), why, moved, consequence);
    } catch (VolumeException e) {
      throw new IOException("cannot quarantine " + root.resolve(name) + " (" + why + "): " + e.getMessage(), e);
    }
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

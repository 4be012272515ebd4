package dev.volumed.disk;

import dev.volumed.model.FileSystemType;
import dev.volumed.model.Allocation;
import dev.volumed.model.Names;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.VolumeException;
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
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a pool's books from disk, once per load: its images and their metadata, checked against each
 * other ({@link ImageCheck}), images without metadata adopted. What volumed cannot read of its own
 * (a corrupt metadata file or batch note, a folder where one should be) goes to the {@link Quarantine}
 * with a WARN instead of failing the load.
 */
final class PoolLoader {
  private static final Logger log = LoggerFactory.getLogger(PoolStore.class);

  private final PoolStore store;
  private final Formatter formatter;
  private final String poolName;
  private final Path root;
  /** Start-up: leftovers of interrupted work are removed and unfinished batches undone. */
  private final boolean recover;

  PoolLoader(PoolStore store, Formatter formatter, boolean recover) {
    this.store = store;
    this.formatter = formatter;
    this.poolName = store.poolName();
    this.root = store.root();
    this.recover = recover;
  }

  /**
   * Rebuilds the books from what is on disk: (when recovering) removes temporary leftovers of
   * interrupted work and undoes unfinished atomic batches; reads each image's metadata, adopts images
   * without metadata, and drops metadata whose image is gone. Each image is checked against its metadata ({@link ImageCheck}): one that does not match
   * is loaded DAMAGED, its metadata kept as it is. A metadata file or batch note that cannot be read
   * is moved to the quarantine and the pool loads without it.
   */
  List<Volume> load() {
    try {
      Files.createDirectories(root);
      PoolWalk.walkToFolder(root, PoolStore.META_DIR, true).close(); // never through a symlink under the root
      if (recover) {
        rollBackUnfinishedBatches();
        new ResizeRecovery(store, formatter).recover();
        new TemplateFiles(root, Templates.DIR).removeLeftovers();
      }
      Set<String> recorded = recordedNames();
      List<Volume> volumes = new ArrayList<>();
      Set<String> images = new HashSet<>();
      // One pass: each folder is walked to once for all its images, not once per image.
      try (Folders folders = new Folders(root)) {
        for (Path image : scanImages(recorded)) {
          images.add(root.relativize(image).toString());
          loadOne(image, folders).ifPresent(volumes::add);
        }
        for (String name : recorded) {
          if (!images.contains(name)) {
            // Something that is not a regular file stands at a recorded image's name.
            readMetadata(name).map(volume -> checked(volume, folders)).ifPresent(volumes::add);
          }
        }
      }
      return volumes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (VolumeException e) {
      throw new UncheckedIOException(new IOException(e.getMessage(), e));
    }
  }


  /** An atomic batch that was publishing when volumed stopped is undone: none of it is kept. */
  private void rollBackUnfinishedBatches() throws IOException {
    Path batches = root.resolve(PoolStore.BATCH_DIR);
    if (!Files.isDirectory(batches, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> notes;
    try (var listing = Files.list(batches)) {
      notes = listing.toList();
    }
    try {
      for (Path note : notes) {
        String noteName = PoolStore.BATCH_DIR + "/" + note.getFileName();
        if (!TempNames.isTemp(note.getFileName().toString())) {
          List<String> names;
          try {
            names = Metadata.noteNames(Files.readAllBytes(note));
          } catch (IOException | RuntimeException e) {
            quarantine(noteName, "unreadable batch note (" + Metadata.describe(e) + ")",
                "the volumes of that batch are kept, as volumed cannot tell which they were");
            continue;
          }
          int removed = 0;
          for (String name : names) {
            if (Names.problem(name) == null && PoolFiles.deleteDurably(root, name)) {
              removed++;
              store.pruneEmptyParents(root.resolve(name));
            }
            if (Names.problem(name) == null) {
              store.deleteMetadata(name);
            }
          }
          log.warn("pool {}: an atomic batch ({}) was publishing when volumed stopped; removed its {} published"
              + " volumes, so none of it is kept", poolName, note.getFileName(), removed);
        }
        PoolFiles.deleteDurably(root, noteName);
      }
    } catch (VolumeException e) {
      throw new IOException(e.getMessage(), e);
    }
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
        if (TempNames.isTemp(fileName)) {
          if (recover) {
            log.info("pool {}: removing {} left by interrupted work", poolName, file);
            store.removeInPool(file);
          }
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
  private Optional<Volume> loadOne(Path image, Folders folders) throws IOException, VolumeException {
    String name = root.relativize(image).toString();
    Optional<Volume> recorded = readMetadata(name);
    if (recorded.isPresent()) {
      return Optional.of(checked(recorded.get(), folders));
    }
    Optional<Entry> found = PoolFiles.entry(root, name); // one statx, reached from the root without following
    if (found.isEmpty() || !found.get().isRegularFile()) {
      log.warn("pool {}: {} went away while the pool was loading; not adopted", poolName, image);
      return Optional.empty();
    }
    Volume adopted = adopt(image, name, found.get().size(), found.get().allocatedBytes());
    store.writeMetadata(adopted);
    log.info("pool {}: adopted {} ({} bytes, fs {}, {})", poolName, name, adopted.spec().size(),
        adopted.spec().fs().wireName(), adopted.spec().allocation().wireName());
    return Optional.of(adopted);
  }

  /** The volume as its image is now: its metadata is kept as it is even when the image does not match. */
  private Volume checked(Volume recorded, Folders folders) {
    ImageCheck.Result check = ImageCheck.check(folders, recorded.spec());
    if (check.damage().isPresent()) {
      log.warn("pool {}: {} is damaged: {}; it is shown \"damaged\" and keeps its recorded size in the books"
          + " until its image is restored or it is deleted", poolName, recorded.name(), check.damage().get());
    }
    return recorded.checked(check.allocatedBytes(), check.damage());
  }

  private Volume adopt(Path image, String name, long size, long allocated) throws IOException {
    Optional<Probe> probe = formatter.probe(image);
    FileSystemType fs = probe.flatMap(Probe::fs).orElse(FileSystemType.NONE);
    Optional<String> label = probe.flatMap(Probe::label);
    Allocation allocation = allocated >= size ? Allocation.FALLOCATE : Allocation.SPARSE;
    Instant createdAt = Files.getLastModifiedTime(image, LinkOption.NOFOLLOW_LINKS).toInstant();
    VolumeSpec spec = new VolumeSpec(name, size, fs, label, List.of(), allocation);
    return new Volume(spec, createdAt, allocated, Volume.State.READY, true);
  }

  /** The recorded volume, or empty when there is no metadata or it cannot be read (then it is quarantined). */
  private Optional<Volume> readMetadata(String name) throws IOException {
    Path path = store.metadataPath(name);
    try {
      return Optional.of(Metadata.volume(name, Files.readAllBytes(path)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      quarantine(PoolStore.metadataName(name), "unreadable metadata (" + Metadata.describe(e) + ")", "its image is adopted again");
      return Optional.empty();
    }
  }

  /**
   * The names of the volumes that have metadata. Removes temporary leftovers, entries that name no
   * valid volume and metadata whose image is gone (nothing at its name); a folder where a volume's
   * metadata file should be is quarantined.
   */
  private Set<String> recordedNames() throws IOException {
    Path metaRoot = root.resolve(PoolStore.META_DIR);
    Set<String> names = new TreeSet<>();
    Files.walkFileTree(metaRoot, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        String relative = metaRoot.relativize(dir).toString();
        if (!dir.equals(metaRoot) && relative.endsWith(PoolStore.META_SUFFIX)) {
          String image = relative.substring(0, relative.length() - PoolStore.META_SUFFIX.length());
          // A folder "x.img.json" holds the metadata of volumes "x.img.json/..." unless x.img is the image it is named for.
          if (Files.isRegularFile(root.resolve(image), LinkOption.NOFOLLOW_LINKS)
              && !Files.isDirectory(root.resolve(relative), LinkOption.NOFOLLOW_LINKS)) {
            quarantine(PoolStore.META_DIR + "/" + relative, "a folder where the metadata file of " + image + " should be",
                "its image is adopted again");
            return FileVisitResult.SKIP_SUBTREE;
          }
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (TempNames.isTemp(file.getFileName().toString())) {
          if (recover) {
            store.removeInPool(file);
          }
          return FileVisitResult.CONTINUE;
        }
        String relative = metaRoot.relativize(file).toString();
        String name = relative.endsWith(PoolStore.META_SUFFIX)
            ? relative.substring(0, relative.length() - PoolStore.META_SUFFIX.length()) : null;
        if (name == null || Names.problem(name) != null) {
          log.info("pool {}: removing {}: it is not the metadata of a volume", poolName, file);
          store.removeInPool(file);
        } else if (!Files.exists(root.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
          log.info("pool {}: removing metadata {} whose image is gone", poolName, file);
          store.removeInPool(file);
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
}

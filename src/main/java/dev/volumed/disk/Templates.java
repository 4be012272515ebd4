package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Labels;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Formatting by cloning, per pool. For each shape of ext2/3/4 volume (file system, size, the whole
 * mkfs command line, so its options and lazy-init flags, and the mke2fs version) volumed formats a
 * template once, under {@code <pool>/.volumed/templates/<hash of the shape>.img}, hidden from
 * listing and adoption as all of .volumed is, and makes each new volume of that shape as a copy of
 * it ({@link ExtentCopy}) given its own identity ({@link Ext4Identity}). A template is used only
 * after it passed its check: its record names the mke2fs this host has now (else it is made again),
 * and its data extents hash to the recorded digest with the UUID exactly where it is renewed. The
 * check runs on first use after start-up and whenever the file's inode, change time, size or blocks
 * differ from those that last passed; a missing or failing template is made again, never cloned.
 * A template is made like a volume (under a temporary name, fsynced, renamed). A shape that cannot be
 * renewed in place (see Ext4Identity), one whose template would hold more than 32 MiB of data,
 * other file systems, and shapes beyond the first {@value #MAX_SHAPES} of a run are formatted by
 * mkfs. Templates are not in the pool's books: each keeps only its data extents (what mke2fs only
 * allocated is punched out), 120 KiB for a sparse 10 GiB ext4, so at most 64 × 32 MiB per pool.
 */
final class Templates {
  private static final Logger log = LoggerFactory.getLogger(Templates.class);
  static final String DIR = ".volumed/templates";
  static final int MAX_SHAPES = 64;
  /** A template with more data than this (eager inode tables, a written journal) is not kept: mkfs instead. */
  static final long MAX_TEMPLATE_DATA = 32L << 20;

  private final Path root;
  private final String poolName;
  private final Formatter formatter;
  private final TemplateFiles files;
  private final ExtentCopy copier = new ExtentCopy();
  private final Map<String, Shape> shapes = new ConcurrentHashMap<>();
  private final Map<Path, String> versions = new ConcurrentHashMap<>();
  private final ToolProcesses processes = new ToolProcesses();

  Templates(Path root, String poolName, Formatter formatter) {
    this.root = root;
    this.poolName = poolName;
    this.formatter = formatter;
    this.files = new TemplateFiles(root, DIR);
  }

  /** A shape's template as it last passed its check. */
  private static final class Shape {
    final String key;
    boolean unclonable;
    TemplateFiles.Stamp passed;
    Ext4Identity.Layout layout;
    List<ExtentCopy.Extent> extents;

    Shape(String key) {
      this.key = key;
    }
  }

  /**
   * Formats image, a new image of spec's size, as a copy of its shape's template with its own
   * identity; false (nothing done) when this shape is formatted by mkfs instead.
   */
  boolean formatByCloning(OpenImage image, VolumeSpec spec) throws VolumeException {
    // -U: the client chose the UUID (a value, or how to make one); mke2fs makes it as asked.
    if (!spec.fs().isExt() || spec.mkfsArgs().contains("-U")) {
      return false;
    }
    String label = spec.label().orElse(null);
    Labels.check(spec.fs(), label);
    Formatter.checkExtraArgs(spec.fs(), spec.mkfsArgs());
    formatter.checkAvailable(spec.fs());
    String version = version(spec);
    if (version == null) {
      return false;
    }
    String key = key(spec, version);
    Shape shape = shapes.get(key);
    if (shape == null) {
      if (shapes.size() >= MAX_SHAPES) {
        return false;
      }
      shape = shapes.computeIfAbsent(key, Shape::new);
    }
    TemplateFiles.Open template;
    Ext4Identity.Layout layout;
    List<ExtentCopy.Extent> extents;
    synchronized (shape) {
      template = shape.unclonable ? null : ready(shape, spec, version);
      if (template == null) {
        return false;
      }
      layout = shape.layout;
      extents = shape.extents;
    }
    try (template; FileChannel copy = FileChannel.open(image.devicePath(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      copier.copy(template.fd(), extents, image.fd(), spec.allocation(), spec.name());
      Ext4Identity.renew(copy, layout, Ext4Identity.Identity.fresh(label, System.currentTimeMillis() / 1000));
    } catch (IOException e) {
      throw new VolumeException(ErrorCode.IO_ERROR, "Cannot give " + spec.name() + " its identity: " + e.getMessage(), e);
    }
    return true;
  }

  /** The shape's template, open and checked (made again where it is missing or fails); null: use mkfs. */
  private TemplateFiles.Open ready(Shape shape, VolumeSpec spec, String version) throws VolumeException {
    String leaf = shape.key + ".img";
    TemplateFiles.Open existing = files.open(leaf);
    if (existing != null) {
      String problem = problem(shape, existing, spec.size(), version);
      if (problem == null) {
        return existing;
      }
      existing.close();
      log.warn("pool {}: template {} {}; making it again", poolName, files.pathOf(leaf), problem);
    }
    return make(shape, spec, version);
  }

  /** Why the open template may not be cloned, or null when it passed (now or last time, unchanged since). */
  private String problem(Shape shape, TemplateFiles.Open template, long size, String version) throws VolumeException {
    TemplateFiles.Stamp stamp = template.stamp();
    if (stamp.equals(shape.passed)) {
      return null;
    }
    shape.passed = null;
    TemplateCheck.Record record = TemplateCheck.Record.parse(files.read(shape.key + ".properties"));
    if (record == null) {
      return "has no readable record";
    }
    if (!version.equals(record.version())) {
      return "was made by " + record.version() + ", this host has " + version;
    }
    if (record.size() != size || stamp.size() != size) {
      return "has the wrong size";
    }
    try (FileChannel ch = template.channel()) {
      List<ExtentCopy.Extent> extents = ExtentCopy.dataExtents(template.fd(), size);
      Ext4Identity.Layout layout = Ext4Identity.Layout.read(ch);
      TemplateCheck.Contents contents = TemplateCheck.read(ch, extents, layout.uuid());
      if (!contents.digest().equals(record.digest()) || !contents.uuidAt().equals(layout.uuidPlaces())) {
        return "does not match its record (changed or damaged)";
      }
      shape.passed = stamp;
      shape.layout = layout;
      shape.extents = extents;
      return null;
    } catch (IOException | Ext4Identity.Unclonable | LastErrorException e) {
      return "cannot be read as made (" + e.getMessage() + ")";
    }
  }

  /** Formats the shape's template under a temporary name, records it, and renames it into place. */
  private TemplateFiles.Open make(Shape shape, VolumeSpec spec, String version) throws VolumeException {
    String leaf = shape.key + ".img";
    try (TemplateFiles.Made made = files.create(leaf, spec.size())) {
      try {
        formatter.format(made.image().devicePath(), spec.fs(), null, spec.mkfsArgs(), Allocation.SPARSE);
      } catch (VolumeException e) {
        throw naming(e, made, spec.name());
      }
      List<ExtentCopy.Extent> extents = ExtentCopy.dataExtents(made.image().fd(), spec.size());
      ExtentCopy.punchOutside(made.image().fd(), extents, spec.size());
      made.image().sync();
      long data = extents.stream().mapToLong(ExtentCopy.Extent::length).sum();
      if (data > MAX_TEMPLATE_DATA) {
        return unclonable(shape, spec, "its template would keep " + data + " bytes of data in the pool");
      }
      Ext4Identity.Layout layout;
      TemplateCheck.Contents contents;
      try (FileChannel ch = FileChannel.open(made.image().devicePath(), StandardOpenOption.READ)) {
        layout = Ext4Identity.Layout.read(ch);
        contents = TemplateCheck.read(ch, extents, layout.uuid());
      } catch (Ext4Identity.Unclonable e) {
        return unclonable(shape, spec, e.getMessage());
      } catch (IOException e) {
        throw new VolumeException(ErrorCode.IO_ERROR, "Cannot read the new template " + made.path() + ": " + e, e);
      }
      if (!contents.uuidAt().equals(layout.uuidPlaces())) {
        return unclonable(shape, spec, "its UUID is written at " + contents.uuidAt()
            + ", not only at " + layout.uuidPlaces());
      }
      PoolFiles.write(root, DIR + "/" + shape.key + ".properties",
          new TemplateCheck.Record(version, spec.size(), contents.digest()).bytes(), true);
      TemplateFiles.Open open = made.publish();
      shape.passed = open.stamp();
      shape.layout = layout;
      shape.extents = extents;
      log.info("pool {}: made template {} for {} volumes of {} bytes", poolName, made.path(), spec.fs().wireName(), spec.size());
      return open;
    }
  }

  private TemplateFiles.Open unclonable(Shape shape, VolumeSpec spec, String why) {
    shape.unclonable = true;
    log.info("pool {}: {} volumes of this shape are formatted by mkfs, not cloned: {}", poolName, spec.fs().wireName(), why);
    return null;
  }

  private static VolumeException naming(VolumeException e, TemplateFiles.Made made, String name) {
    String message = e.getMessage().replace(made.image().devicePath().toString(), name).replace(made.path().toString(), name);
    return new VolumeException(e.code(), message, e.details(), e);
  }

  /** The first line of `mke2fs -V` (e.g. "mke2fs 1.47.0 (5-Feb-2023)"), asked once per tool; null if it cannot be had. */
  private String version(VolumeSpec spec) {
    Path tool = formatter.findTool(spec.fs()).orElse(null);
    if (tool == null) {
      return null;
    }
    return versions.computeIfAbsent(tool, t -> {
      try {
        ToolProcesses.Result r = processes.run(List.of(t.toString(), "-V"), java.time.Duration.ofSeconds(30));
        String first = r.output().strip().lines().findFirst().orElse("");
        return r.exitCode() == 0 && first.startsWith("mke2fs ") ? first : null;
      } catch (IOException | ToolProcesses.TimeoutException e) {
        log.warn("cannot ask {} for its version ({}); formatting by mkfs", t, e.toString());
        return null;
      }
    });
  }

  /** The shape's name: a hash of the file system, the size, the mkfs command line and the mke2fs version. */
  private String key(VolumeSpec spec, String version) {
    List<String> argv = formatter.command(spec.fs(), Path.of("-"), null, spec.mkfsArgs(), Allocation.SPARSE);
    String shape = spec.fs().wireName() + "\0" + spec.size() + "\0" + String.join("\0", argv) + "\0" + version;
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(shape.getBytes(StandardCharsets.UTF_8));
      return spec.fs().wireName() + "-" + HexFormat.of().formatHex(hash, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

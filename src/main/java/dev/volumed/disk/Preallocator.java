package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Holder;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a volume's image its blocks without changing a byte it reads ({@code preallocate}):
 * {@code fallocate} allocates its holes (fallocate(2) mode 0 inside the file's length, which
 * never changes data, so it is allowed while a VM holds the image); {@code full} also writes
 * zeros into its holes and unwritten extents, and nowhere else, paced by
 * {@code volumed.io.max-write-bytes-per-second} (refused while anything holds the image open).
 * The metadata says the new allocation only once the blocks are flushed, so a crash leaves the
 * old one. On failure the former holes are punched again, so the volume keeps its old blocks.
 */
public final class Preallocator {
  private static final Logger log = LoggerFactory.getLogger(Preallocator.class);
  private static final int CHUNK = 1 << 20;

  /** Told how far it has got, from the blocking thread. */
  @FunctionalInterface
  public interface Listener {
    void progress(long doneBytes, long totalBytes);
  }

  private final String pool;
  private final PoolStore store;
  private final OptionalLong maxWriteBytesPerSecond;

  public Preallocator(String pool, PoolStore store, OptionalLong maxWriteBytesPerSecond) {
    this.pool = pool;
    this.store = store;
    this.maxWriteBytesPerSecond = maxWriteBytesPerSecond;
  }

  /** The volume with allocation mode, its blocks measured, durably; or an error with the image as it was. */
  public Volume preallocate(Volume volume, Allocation mode, Listener listener, BooleanSupplier cancelled)
      throws VolumeException {
    String name = volume.name();
    long size = volume.spec().size();
    try (PoolDir folder = PoolWalk.walk(store.root(), name, false); ImageFile image = ImageFile.open(folder, name)) {
      int fd = image.fd();
      if (image.size() != size) {
        throw new VolumeException(ErrorCode.IO_ERROR, "the image of " + name + " is " + image.size()
            + " bytes long, its metadata says " + size + "; nothing was preallocated");
      }
      List<Holder> holders = Holders.of(FileId.of(fd));
      if (mode == Allocation.FULL && !holders.isEmpty()) {
        throw Holder.inUse("preallocate with mode full", name, pool, holders);
      }
      List<Extents.Range> holes = Extents.holes(fd, size);
      List<Extents.Range> work = new ArrayList<>(holes);
      if (mode == Allocation.FULL) {
        Extents.unwritten(fd, size).ifPresent(work::addAll);
        work.sort(Comparator.comparingLong(Extents.Range::start));
      }
      long total = Extents.total(work);
      listener.progress(0, total);
      try {
        if (mode == Allocation.FULL) {
          writeZeros(fd, name, work, total, listener, cancelled);
        } else {
          allocate(fd, name, holes, total, listener, cancelled);
        }
        sync(fd, name);
        long allocated = image.allocatedBytes();
        // What every check of a fallocate/full image asks; a file system that hides its holes fails it.
        if (allocated < size) {
          throw new VolumeException(ErrorCode.UNSUPPORTED, "the file system of pool " + pool + " did not show where "
              + name + " has holes: it still has " + allocated + " of its " + size + " bytes on disk; it keeps its"
              + " old allocation");
        }
        Volume done = new Volume(with(volume.spec(), mode), volume.createdAt(), allocated, Volume.State.READY,
            volume.adopted());
        store.writeMetadata(done);
        return done;
      } catch (VolumeException | IOException | RuntimeException e) {
        giveBack(fd, name, size, holes, !holders.isEmpty());
        throw e instanceof VolumeException ve ? ve
            : new VolumeException(ErrorCode.IO_ERROR, "preallocating " + name + " failed: " + e.getMessage(), e);
      }
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot find the holes of " + name + " before preallocating it");
    }
  }

  private void allocate(int fd, String name, List<Extents.Range> holes, long total, Listener listener,
      BooleanSupplier cancelled) throws VolumeException {
    ByteReporter reporter = new ByteReporter(listener::progress, total);
    for (Extents.Range hole : holes) {
      stopIf(cancelled, name);
      try {
        LibC.INSTANCE.fallocate(fd, 0, hole.start(), hole.length());
      } catch (LastErrorException e) {
        throw failed(e.getErrorCode(), name, "allocating " + hole.length() + " bytes at " + hole.start());
      }
      reporter.add(hole.length());
    }
  }

  private void writeZeros(int fd, String name, List<Extents.Range> ranges, long total, Listener listener,
      BooleanSupplier cancelled) throws VolumeException {
    WritePacer pacer = new WritePacer(maxWriteBytesPerSecond);
    ByteReporter reporter = new ByteReporter(listener::progress, total);
    try (Memory zeros = new Memory(CHUNK)) {
      zeros.clear();
      for (Extents.Range range : ranges) {
        for (long at = range.start(); at < range.end(); ) {
          stopIf(cancelled, name);
          long n;
          try {
            n = LibC.INSTANCE.pwrite(fd, zeros, Math.min(CHUNK, range.end() - at), at);
          } catch (LastErrorException e) {
            throw failed(e.getErrorCode(), name, "writing zeros at " + at);
          }
          at += n;
          pacer.wrote(n);
          reporter.add(n);
        }
      }
    }
  }

  /**
   * Punches the former holes again, so the blocks this run took go back. While others hold the
   * image (fallocate mode), only what is still unwritten there: a VM may have written into a former
   * hole meanwhile, and that data stays; where the file system cannot tell, nothing is punched.
   */
  private void giveBack(int fd, String name, long size, List<Extents.Range> holes, boolean held) {
    try {
      punch(fd, name, size, holes, held);
    } catch (RuntimeException e) {
      log.warn("pool {}: cannot give back the blocks preallocating {} took: {}", pool, name, e.toString());
    }
  }

  private void punch(int fd, String name, long size, List<Extents.Range> holes, boolean held) {
    List<Extents.Range> punch = holes;
    if (held) {
      Optional<List<Extents.Range>> unwritten = Extents.unwritten(fd, size);
      if (unwritten.isEmpty()) {
        log.warn("pool {}: {} is in use and its file system cannot tell unwritten blocks; the blocks taken are"
            + " left allocated", pool, name);
        return;
      }
      punch = Extents.intersect(unwritten.get(), holes);
    }
    for (Extents.Range hole : punch) {
      try {
        LibC.INSTANCE.fallocate(fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, hole.start(), hole.length());
      } catch (LastErrorException e) {
        log.warn("pool {}: cannot give back {} bytes at {} of {}: {}", pool, hole.length(), hole.start(), name,
            LibC.describe(e.getErrorCode()));
      }
    }
  }

  private VolumeException failed(int errno, String name, String step) {
    if (errno == LibC.EOPNOTSUPP) {
      return new VolumeException(ErrorCode.UNSUPPORTED, "the file system of pool " + pool + " does not support"
          + " fallocate; preallocate " + name + " with mode \"full\" (zeros written) instead");
    }
    if (errno == LibC.ENOSPC || errno == LibC.EDQUOT) {
      return new VolumeException(ErrorCode.INSUFFICIENT_SPACE, "the file system of pool " + pool + " filled while"
          + " preallocating " + name + " (" + step + ": " + LibC.describe(errno) + "); " + name
          + " keeps its old allocation and content, the blocks taken were given back. Free space and try again");
    }
    return Errors.errno(errno, "Preallocating " + name + " failed " + step);
  }

  private static void stopIf(BooleanSupplier cancelled, String name) throws VolumeException {
    if (cancelled.getAsBoolean()) {
      throw new VolumeException(ErrorCode.SHUTTING_DOWN, "preallocating " + name + " was stopped; it keeps its old"
          + " allocation and content");
    }
  }

  private static void sync(int fd, String name) throws VolumeException {
    try {
      LibC.INSTANCE.fsync(fd);
    } catch (LastErrorException e) {
      throw Errors.errno(e.getErrorCode(), "Cannot flush " + name + " to disk");
    }
  }

  private static VolumeSpec with(VolumeSpec spec, Allocation allocation) {
    return new VolumeSpec(spec.name(), spec.size(), spec.fs(), spec.label(), spec.mkfsArgs(), allocation);
  }
}

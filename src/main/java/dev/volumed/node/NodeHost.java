package dev.volumed.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The host side of the CSI node service: stage, publish, unpublish, unstage, usage and growth of a
 * volume, each blocking. Calls on one volume run one at a time (a lock per volume id, from a fixed
 * set, so a client inventing ids cannot grow it); calls on different volumes run side by side.
 */
public final class NodeHost {
  private static final int STRIPES = 64;

  private final HostState host;
  private final Stages stages;
  private final Publishes publishes;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
  private final CompletableFuture<Void> recovered = new CompletableFuture<>();

  public NodeHost(Path stateDir, HostTools tools) {
    this.host = new HostState(new Notes(stateDir), new LoopDevices(tools), new Mounts(tools));
    this.stages = new Stages(host);
    this.publishes = new Publishes(host);
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
  }

  /** The host's tools from PATH and the system folders, each given at most two minutes. */
  public static NodeHost at(Path stateDir) {
    return new NodeHost(stateDir, HostTools.fromPath(Duration.ofMinutes(2)));
  }

  HostState host() {
    return host;
  }

  /**
   * Runs the start-up pass ({@link Recovery}) on the executor, handing each line of what it did to
   * report. Until it has ended, {@link #recovered} is not complete: no call meets a half-made stage
   * of an earlier run.
   */
  public CompletionStage<List<String>> recover(Executor on, java.util.function.Consumer<String> report) {
    CompletableFuture<List<String>> done = CompletableFuture.supplyAsync(() -> {
      try {
        List<String> lines = Recovery.run(this);
        lines.forEach(report);
        return lines;
      } catch (NodeException e) {
        throw new CompletionException(e);
      }
    }, on);
    done.whenComplete((lines, failure) -> {
      if (failure != null) {
        recovered.completeExceptionally(failure instanceof CompletionException c && c.getCause() != null
            ? c.getCause() : failure);
      } else {
        recovered.complete(null);
      }
    });
    return done;
  }

  /** Complete once the start-up pass has ended well; failed with its reason otherwise. */
  public CompletionStage<Void> recovered() {
    return recovered;
  }

  @FunctionalInterface
  private interface Work<T> {
    T run() throws NodeException;
  }

  private <T> T locked(String volumeId, Work<T> work) throws NodeException {
    ReentrantLock lock = locks[Math.floorMod(volumeId.hashCode(), STRIPES)];
    lock.lock();
    try {
      return work.run();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stages the image at staging: attached to a loop device (read-only when asked) and, unless block,
   * its fsType file system mounted there with the mount flags. Once the device is attached the image
   * at that path must still be the file that was attached (not replaced or deleted meanwhile).
   *
   * @return true when this call staged it; false when it already was staged so
   */
  public boolean stage(String volumeId, Path image, Path staging, boolean block, boolean readOnly, String fsType,
      List<String> mountFlags) throws NodeException {
    return locked(volumeId, () -> {
      FileKey key = FileKey.ofImage(image);
      return stages.stage(new Stages.Request(volumeId, image, key, staging, block, readOnly, fsType, mountFlags),
          () -> {
            if (!FileKey.ofImage(image).equals(key)) {
              throw new NodeException(NodeException.Kind.NOT_FOUND, image + " was replaced while it was being staged");
            }
          });
    });
  }

  public void unstage(String volumeId, Path staging) throws NodeException {
    locked(volumeId, () -> {
      stages.unstage(volumeId, staging);
      return null;
    });
  }

  public void publish(String volumeId, Path staging, Path target, boolean block, boolean readOnly)
      throws NodeException {
    locked(volumeId, () -> {
      publishes.publish(volumeId, staging, target, block, readOnly);
      return null;
    });
  }

  public void unpublish(String volumeId, Path target) throws NodeException {
    locked(volumeId, () -> {
      publishes.unpublish(volumeId, target);
      return null;
    });
  }

  /** How full the volume is where it is published or staged at path; NOT_FOUND when it is not there. */
  public Usage usage(String volumeId, Path path) throws NodeException {
    return locked(volumeId, () -> {
      Note note = there(volumeId, path);
      if (note.block()) {
        return Usage.ofDevice(host.loops().sizeBytes(note.device().orElseThrow()));
      }
      return Usage.ofMount(path);
    });
  }

  /**
   * Has the loop device read the image's size again and grows the mounted file system to it (ext2/3/4
   * with resize2fs on the device, xfs with xfs_growfs and btrfs with "filesystem resize max" on the
   * mount); a block volume, or one staged read-only, only has its device refreshed. The device's size.
   */
  public long expand(String volumeId, Path path) throws NodeException {
    return locked(volumeId, () -> {
      there(volumeId, path);
      Note stage = stages.stageOf(volumeId).filter(Note::done).orElseThrow(() -> new NodeException(
          NodeException.Kind.NOT_FOUND, "volume " + volumeId + " is not staged"));
      Path device = host.ownDevice(stage).orElseThrow(() -> new NodeException(NodeException.Kind.PRECONDITION,
          "the loop device of volume " + volumeId + " is gone; stage it again"));
      host.loops().refresh(device);
      for (Note publish : host.notes().of(volumeId)) {
        if (publish.ownDevice()) {
          Optional<Path> own = host.ownDevice(publish);
          if (own.isPresent()) {
            host.loops().refresh(own.get()); // a read-only publish's own device grows with the image too
          }
        }
      }
      if (!stage.block() && !stage.readOnly()) {
        Growth.grow(host, stage, device);
      }
      return host.loops().sizeBytes(device);
    });
  }

  /** The note of what volumed made for the volume at path, when it is there now; NOT_FOUND otherwise. */
  private Note there(String volumeId, Path path) throws NodeException {
    Predicate<Note> ours = note -> note.volumeId().equals(volumeId) && note.done();
    Optional<Note> note = host.notes().at(Note.Kind.PUBLISH, path).filter(ours)
        .or(() -> quietly(() -> host.notes().at(Note.Kind.STAGE, path).filter(ours)));
    if (note.isEmpty() || !host.intact(note.get())) {
      throw new NodeException(NodeException.Kind.NOT_FOUND, "volume " + volumeId + " is neither published nor"
          + " staged at " + path);
    }
    return note.get();
  }

  private static Optional<Note> quietly(Work<Optional<Note>> read) {
    try {
      return read.run();
    } catch (NodeException e) {
      return Optional.empty();
    }
  }
}

package dev.volumed.disk;

import dev.volumed.model.FileSystemType;
import dev.volumed.model.Allocation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An atomic batch's note on disk: a start-up that finds it removes the batch's volumes; a removed note keeps them. */
class PoolStoreBatchNoteTest {
  @TempDir
  Path pool;

  @Test
  void startUpUndoesABatchThatWasPublishingAndKeepsEverythingElse() throws Exception {
    PoolStore store = new PoolStore("default", pool, new Formatter(Duration.ofMinutes(1)));
    store.load();
    publish(store, "before.img");
    publish(store, "vm1/a.img");
    publish(store, "vm1/b.img");
    store.beginBatch("crashed", List.of("vm1/a.img", "vm1/b.img", "vm1/c.img"));

    List<Volume> loaded = new PoolStore("default", pool, new Formatter(Duration.ofMinutes(1))).load();

    assertEquals(List.of("before.img"), loaded.stream().map(Volume::name).toList());
    assertFalse(Files.exists(pool.resolve("vm1")), "the batch's images and their folder are gone");
    assertFalse(Files.exists(pool.resolve(".volumed/meta/vm1/a.img.json")));
    try (var notes = Files.list(pool.resolve(".volumed/batches"))) {
      assertEquals(0, notes.count());
    }
  }

  @Test
  void aBatchWhoseNoteWasRemovedIsKept() throws Exception {
    PoolStore store = new PoolStore("default", pool, new Formatter(Duration.ofMinutes(1)));
    store.load();
    store.beginBatch("done", List.of("vm1/a.img"));
    publish(store, "vm1/a.img");
    store.endBatch("done");

    List<Volume> loaded = new PoolStore("default", pool, new Formatter(Duration.ofMinutes(1))).load();

    assertEquals(List.of("vm1/a.img"), loaded.stream().map(Volume::name).toList());
    assertTrue(Files.exists(pool.resolve("vm1/a.img")));
  }

  private static void publish(PoolStore store, String name) throws Exception {
    Path image = pool(store).resolve(name);
    Files.createDirectories(image.getParent());
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(1 << 20);
    }
    VolumeSpec spec = new VolumeSpec(name, 1 << 20, FileSystemType.NONE, Optional.empty(), List.of(), Allocation.SPARSE);
    store.writeMetadata(new Volume(spec, Instant.now(), 0, Volume.State.READY, false));
  }

  private static Path pool(PoolStore store) {
    return store.root();
  }
}

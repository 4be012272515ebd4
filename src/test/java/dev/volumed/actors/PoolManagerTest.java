package dev.volumed.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolStore;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool manager owns its pool's ledger and runs that pool's workers: a create, get, list and
 * delete sent to it alone go all the way to disk and back, and get and list measure the image
 * as it is now.
 */
class PoolManagerTest {
  static final ActorTestKit testKit =
      ActorTestKit.create(LedgerTest.CONFIG);
  private static final long MIB = 1L << 20;
  private static final AtomicInteger pools = new AtomicInteger();

  @TempDir Path dir;

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aCreateGetListAndDeleteSentToTheManagerAloneReachTheDiskAndComeBack() throws Exception {
    String name = "managed" + pools.incrementAndGet();
    Path root = dir.resolve(name);
    ActorRef<PoolManager.Command> manager = manager(name, root);

    TestProbe<CreateWorker.Result> created = testKit.createTestProbe();
    manager.tell(new PoolManager.Create(raw("vm1/a.img", 16 * MIB), created.getRef()));
    CreateWorker.Created made = assertInstanceOf(CreateWorker.Created.class,
        created.receiveMessage(Duration.ofSeconds(30)));
    assertTrue(Files.isRegularFile(root.resolve("vm1/a.img")));
    assertEquals(0, made.volume().allocatedBytes(), "a raw sparse image has no blocks yet");

    // Blocks written behind the pool's back show up in get and list: they measure the image now.
    try (RandomAccessFile file = new RandomAccessFile(root.resolve("vm1/a.img").toFile(), "rw")) {
      file.write(new byte[(int) MIB]);
      file.getFD().sync();
    }
    TestProbe<Ledger.GetReply> got = testKit.createTestProbe();
    manager.tell(new PoolManager.Get("vm1/a.img", got.getRef()));
    Volume measured = assertInstanceOf(Ledger.Found.class, got.receiveMessage()).volume();
    assertTrue(measured.allocatedBytes() >= MIB, "get measured " + measured.allocatedBytes());
    TestProbe<Ledger.ListReply> listed = testKit.createTestProbe();
    manager.tell(new PoolManager.ListVolumes(listed.getRef()));
    List<Volume> volumes = assertInstanceOf(Ledger.VolumeList.class, listed.receiveMessage()).volumes();
    assertEquals(List.of("vm1/a.img"), volumes.stream().map(Volume::name).toList());
    assertTrue(volumes.get(0).allocatedBytes() >= MIB, "list measured " + volumes.get(0).allocatedBytes());

    TestProbe<DeleteWorker.Result> deleted = testKit.createTestProbe();
    manager.tell(new PoolManager.Delete("vm1/a.img", deleted.getRef()));
    assertInstanceOf(DeleteWorker.Deleted.class, deleted.receiveMessage(Duration.ofSeconds(30)));
    assertTrue(Files.notExists(root.resolve("vm1/a.img")));
    manager.tell(new PoolManager.Get("vm1/a.img", got.getRef()));
    assertEquals(ErrorCode.NOT_FOUND, assertInstanceOf(Ledger.Refused.class, got.receiveMessage()).code());
  }

  @Test
  void statsComeFromThePoolsOwnLedger() throws Exception {
    String name = "stats" + pools.incrementAndGet();
    ActorRef<PoolManager.Command> manager = manager(name, dir.resolve(name));
    TestProbe<CreateWorker.Result> created = testKit.createTestProbe();
    manager.tell(new PoolManager.Create(raw("b.img", 32 * MIB), created.getRef()));
    assertInstanceOf(CreateWorker.Created.class, created.receiveMessage(Duration.ofSeconds(30)));
    TestProbe<Ledger.StatsReply> stats = testKit.createTestProbe();
    manager.tell(new PoolManager.GetStats(stats.getRef()));
    Ledger.PoolStats books = assertInstanceOf(Ledger.PoolStats.class, stats.receiveMessage());
    assertEquals(name, books.name());
    assertEquals(32 * MIB, books.provisionedBytes());
    assertEquals(1, books.volumes());
  }

  private static ActorRef<PoolManager.Command> manager(String name, Path root) {
    PoolSettings settings = new PoolSettings(name, root, OptionalLong.empty(), 0, 4.0, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    Formatter formatter = new Formatter(Duration.ofMinutes(1));
    PoolStore store = new PoolStore(name, root, formatter);
    PoolManager.Pool pool = new PoolManager.Pool(settings, store, new VolumeBuilder(settings, store, formatter),
        SpaceProbe.of(root.getParent()));
    return testKit.spawn(PoolManager.create(pool, Duration.ofHours(1), 2, Duration.ofMinutes(1)), "pool-" + name);
  }

  private static VolumeSpec raw(String name, long size) {
    return new VolumeSpec(name, size, FileSystemType.NONE, Optional.empty(), List.of(), Allocation.SPARSE);
  }
}

package dev.volumed.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import dev.volumed.accounting.Space;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger's side of resize and reclaim: a volume being changed takes no delete and no other
 * change (BUSY, naming the change), the growth is held in the books while in flight and moves them
 * to the new size when it lands, and a worker that stops without an answer gives the growth back.
 */
class LedgerChangesTest {
  static final ActorTestKit testKit = ActorTestKit.create(LedgerTest.CONFIG);
  private static final long GIB = 1L << 30;
  private static final AtomicInteger ledgers = new AtomicInteger();

  @TempDir Path dir;

  private ActorRef<Ledger.Command> ledger;
  private final TestProbe<Ledger.ReserveReply> reserves = testKit.createTestProbe(Ledger.ReserveReply.class);
  private final TestProbe<Ledger.DeleteReply> deletes = testKit.createTestProbe(Ledger.DeleteReply.class);
  private final TestProbe<Ledger.StatsReply> stats = testKit.createTestProbe(Ledger.StatsReply.class);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void startLedger() {
    String name = "pool" + ledgers.incrementAndGet();
    Path root = dir.resolve(name);
    PoolSettings settings = new PoolSettings(name, root, OptionalLong.of(100 * GIB), 0, 2.0, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    SpaceProbe plenty = () -> new Space(1L << 40, 1L << 40);
    ledger = testKit.spawn(Ledger.create(settings, new PoolStore(name, root, new Formatter(Duration.ofMinutes(1))),
        plenty, Duration.ofHours(1)));
  }

  @Test
  void aVolumeBeingResizedTakesNoDeleteAndNoOtherChangeUntilItEnds() {
    Volume a = publish(spec("a.img", GIB, Allocation.FALLOCATE));
    TestProbe<Ledger.ChangeReply> worker = testKit.createTestProbe(Ledger.ChangeReply.class);
    ledger.tell(new Ledger.BeginResize("a.img", 3 * GIB, worker.getRef()));
    assertInstanceOf(Ledger.Found.class, worker.receiveMessage());
    assertBooks(3 * GIB, 3 * GIB);

    ledger.tell(new Ledger.BeginDelete("a.img", deletes.getRef()));
    Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, deletes.receiveMessage());
    assertEquals(ErrorCode.BUSY, refused.code());
    assertEquals("volume a.img in pool " + poolName() + " is being resized; try again when that finishes",
        refused.message());
    TestProbe<Ledger.ChangeReply> other = testKit.createTestProbe(Ledger.ChangeReply.class);
    ledger.tell(new Ledger.BeginResize("a.img", 4 * GIB, other.getRef()));
    assertEquals(ErrorCode.BUSY, assertInstanceOf(Ledger.Refused.class, other.receiveMessage()).code());
    ledger.tell(new Ledger.BeginReclaim("a.img", other.getRef()));
    assertEquals(ErrorCode.BUSY, assertInstanceOf(Ledger.Refused.class, other.receiveMessage()).code());
    ledger.tell(new Ledger.Reserve(spec("a.img", GIB, Allocation.FALLOCATE), reserves.getRef()));
    assertEquals(ErrorCode.BUSY, assertInstanceOf(Ledger.Refused.class, reserves.receiveMessage()).code());

    Volume grown = new Volume(a.spec().withSize(3 * GIB), a.createdAt(), 3 * GIB, Volume.State.READY, false);
    ledger.tell(new Ledger.ResizeFinished("a.img", 3 * GIB, Optional.of(grown)));
    assertBooks(3 * GIB, 3 * GIB);
    ledger.tell(new Ledger.BeginDelete("a.img", deletes.getRef()));
    assertEquals(3 * GIB, assertInstanceOf(Ledger.Found.class, deletes.receiveMessage()).volume().spec().size());
  }

  @Test
  void aFailedResizeGivesItsGrowthBack() {
    publish(spec("a.img", GIB, Allocation.SPARSE));
    TestProbe<Ledger.ChangeReply> worker = testKit.createTestProbe(Ledger.ChangeReply.class);
    ledger.tell(new Ledger.BeginResize("a.img", 5 * GIB, worker.getRef()));
    assertInstanceOf(Ledger.Found.class, worker.receiveMessage());
    assertBooks(0, 5 * GIB);
    ledger.tell(new Ledger.ResizeFinished("a.img", 5 * GIB, Optional.empty()));
    assertBooks(0, GIB);
  }

  @Test
  void aWorkerThatStopsWithoutAnAnswerGivesItsGrowthBackAndEndsTheChange() {
    publish(spec("a.img", GIB, Allocation.FULL));
    TestProbe<Ledger.ChangeReply> worker = testKit.createTestProbe(Ledger.ChangeReply.class);
    ledger.tell(new Ledger.BeginResize("a.img", 2 * GIB, worker.getRef()));
    assertInstanceOf(Ledger.Found.class, worker.receiveMessage());
    assertBooks(2 * GIB, 2 * GIB);
    worker.stop();
    // The ledger hears of the stop on its own time: asked again until it has.
    deletes.awaitAssert(Duration.ofSeconds(10), () -> {
      ledger.tell(new Ledger.BeginDelete("a.img", deletes.getRef()));
      assertEquals(GIB, assertInstanceOf(Ledger.Found.class, deletes.receiveMessage()).volume().spec().size());
      return null;
    });
    assertBooks(GIB, GIB);
  }

  @Test
  void theSameSizeIsUnchangedAndMarksNothing() {
    publish(spec("a.img", GIB, Allocation.SPARSE));
    TestProbe<Ledger.ChangeReply> worker = testKit.createTestProbe(Ledger.ChangeReply.class);
    ledger.tell(new Ledger.BeginResize("a.img", GIB, worker.getRef()));
    assertInstanceOf(Ledger.Unchanged.class, worker.receiveMessage());
    ledger.tell(new Ledger.BeginDelete("a.img", deletes.getRef()));
    assertInstanceOf(Ledger.Found.class, deletes.receiveMessage());
  }

  @Test
  void aReclaimMovesOnlyTheMeasuredBlocks() {
    Volume a = publish(spec("a.img", GIB, Allocation.SPARSE));
    TestProbe<Ledger.ChangeReply> worker = testKit.createTestProbe(Ledger.ChangeReply.class);
    ledger.tell(new Ledger.BeginReclaim("a.img", worker.getRef()));
    assertInstanceOf(Ledger.Found.class, worker.receiveMessage());
    ledger.tell(new Ledger.BeginDelete("a.img", deletes.getRef()));
    Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, deletes.receiveMessage());
    assertEquals(ErrorCode.BUSY, refused.code());
    ledger.tell(new Ledger.ReclaimFinished("a.img", Optional.of(a.withAllocatedBytes(4096)), 4096));
    ledger.tell(new Ledger.GetStats(stats.getRef()));
    Ledger.PoolStats s = assertInstanceOf(Ledger.PoolStats.class, stats.receiveMessage());
    assertEquals(4096, s.allocatedBytes());
    assertEquals(GIB, s.provisionedBytes());
  }

  private Volume publish(VolumeSpec spec) {
    ledger.tell(new Ledger.Reserve(spec, reserves.getRef()));
    long id = assertInstanceOf(Ledger.Admitted.class, reserves.receiveMessage()).reservationId();
    Volume volume = new Volume(spec, Instant.EPOCH, spec.allocation().reservesBlocks() ? spec.size() : 1 << 20,
        Volume.State.READY, false);
    ledger.tell(new Ledger.Complete(id, volume));
    return volume;
  }

  private void assertBooks(long committed, long provisioned) {
    ledger.tell(new Ledger.GetStats(stats.getRef()));
    Ledger.PoolStats s = assertInstanceOf(Ledger.PoolStats.class, stats.receiveMessage());
    assertEquals(List.of(committed, provisioned), List.of(s.committedBytes(), s.provisionedBytes()),
        "committed, provisioned");
  }

  private String poolName() {
    return "pool" + ledgers.get();
  }

  private static VolumeSpec spec(String name, long size, Allocation allocation) {
    return new VolumeSpec(name, size, FileSystemType.NONE, Optional.empty(), List.of(), allocation);
  }
}

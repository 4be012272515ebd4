package dev.volumed.actors;

import static dev.volumed.model.Sizes.GIB;
import static dev.volumed.model.Sizes.TIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger's side of preallocate: admission by rule 1, the busy marker, and the books after each end. */
class LedgerPreallocateTest {
  static final ActorTestKit testKit = ActorTestKit.create(LedgerTest.CONFIG);
  private static final AtomicInteger ledgers = new AtomicInteger();

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aSparseVolumeIsCommittedWhilePreallocatingBusyForOthersAndStaysCommittedOnceDone() {
    Pool pool = pool(OptionalLong.of(8 * GIB));
    Volume sparse = pool.publish(raw("vm1/a.img", 4 * GIB, Allocation.SPARSE));
    TestProbe<Ledger.ChangeReply> worker = testKit.createTestProbe();
    pool.ledger.tell(new Ledger.BeginPreallocate("vm1/a.img", Allocation.FULL, worker.getRef()));
    assertEquals(sparse, assertInstanceOf(Ledger.Found.class, worker.receiveMessage()).volume());
    assertEquals(4 * GIB, pool.stats().committedBytes());
    assertEquals(4 * GIB, pool.stats().provisionedBytes());

    pool.assertBusy(new Ledger.BeginPreallocate("vm1/a.img", Allocation.FALLOCATE, pool.preallocations.getRef()),
        pool.preallocations);
    pool.assertBusy(new Ledger.BeginDelete("vm1/a.img", pool.deletes.getRef()), pool.deletes);
    pool.assertBusy(new Ledger.Reserve(raw("vm1/a.img", 4 * GIB, Allocation.SPARSE), pool.reserves.getRef()),
        pool.reserves);

    Volume full = ready(raw("vm1/a.img", 4 * GIB, Allocation.FULL));
    pool.ledger.tell(new Ledger.PreallocateFinished(full));
    assertEquals(4 * GIB, pool.stats().committedBytes());
    assertEquals(4 * GIB, pool.stats().allocatedBytes());
    // Deleted now, it leaves committed as a full volume does.
    pool.ledger.tell(new Ledger.BeginDelete("vm1/a.img", pool.deletes.getRef()));
    assertEquals(full, assertInstanceOf(Ledger.Found.class, pool.deletes.receiveMessage()).volume());
    pool.ledger.tell(new Ledger.DeleteFinished("vm1/a.img", true));
    assertEquals(0, pool.stats().committedBytes());
  }

  @Test
  void aFailedPreallocationOrAStoppedWorkerLeavesTheBooksAsBefore() {
    Pool pool = pool(OptionalLong.of(8 * GIB));
    pool.publish(raw("b.img", 2 * GIB, Allocation.SPARSE));
    Ledger.PoolStats before = pool.stats();

    TestProbe<Ledger.ChangeReply> first = testKit.createTestProbe();
    pool.ledger.tell(new Ledger.BeginPreallocate("b.img", Allocation.FALLOCATE, first.getRef()));
    assertInstanceOf(Ledger.Found.class, first.receiveMessage());
    pool.ledger.tell(new Ledger.PreallocateFailed("b.img"));
    assertEquals(before, pool.stats());

    TestProbe<Ledger.ChangeReply> second = testKit.createTestProbe();
    pool.ledger.tell(new Ledger.BeginPreallocate("b.img", Allocation.FALLOCATE, second.getRef()));
    assertInstanceOf(Ledger.Found.class, second.receiveMessage());
    second.stop();
    second.awaitAssert(() -> {
      assertEquals(before, pool.stats());
      return null;
    });
    pool.ledger.tell(new Ledger.BeginPreallocate("b.img", Allocation.FALLOCATE, pool.preallocations.getRef()));
    assertInstanceOf(Ledger.Found.class, pool.preallocations.receiveMessage());
  }

  @Test
  void refusedByRuleOneTheBooksDoNotMove() {
    Pool pool = pool(OptionalLong.of(8 * GIB));
    pool.publish(raw("big.img", 8 * GIB + 4096, Allocation.SPARSE));
    Ledger.PoolStats before = pool.stats();
    pool.ledger.tell(new Ledger.BeginPreallocate("big.img", Allocation.FALLOCATE, pool.preallocations.getRef()));
    Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, pool.preallocations.receiveMessage());
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, refused.code());
    assertTrue(refused.message().contains("big.img"), refused.message());
    assertEquals(before, pool.stats());
    pool.publish(raw("other.img", GIB, Allocation.FALLOCATE)); // nothing is left marked busy
  }

  @Test
  void aVolumeAlreadyThereIsUnchangedAndFallocateToFullAdmitsNothing() {
    Pool pool = pool(OptionalLong.of(8 * GIB));
    pool.publish(raw("f.img", 8 * GIB, Allocation.FALLOCATE)); // all of usable is committed
    pool.ledger.tell(new Ledger.BeginPreallocate("f.img", Allocation.FALLOCATE, pool.preallocations.getRef()));
    assertInstanceOf(Ledger.Unchanged.class, pool.preallocations.receiveMessage());
    pool.ledger.tell(new Ledger.BeginPreallocate("f.img", Allocation.FULL, pool.preallocations.getRef()));
    assertInstanceOf(Ledger.Found.class, pool.preallocations.receiveMessage());
    assertEquals(8 * GIB, pool.stats().committedBytes());
    pool.ledger.tell(new Ledger.PreallocateFailed("f.img"));
    assertEquals(8 * GIB, pool.stats().committedBytes());
    pool.ledger.tell(new Ledger.BeginPreallocate("nope.img", Allocation.FULL, pool.preallocations.getRef()));
    assertEquals(ErrorCode.NOT_FOUND,
        assertInstanceOf(Ledger.Refused.class, pool.preallocations.receiveMessage()).code());
  }

  private Pool pool(OptionalLong capacity) {
    String name = "pre" + ledgers.incrementAndGet();
    Path root = dir.resolve(name);
    PoolSettings settings = new PoolSettings(name, root, capacity, 0, 2.0, Allocation.SPARSE, FileSystemType.EXT4,
        PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    PoolStore store = new PoolStore(name, root, new Formatter(Duration.ofMinutes(1)));
    return new Pool(testKit.spawn(Ledger.create(settings, store, new ControlledSpace(TIB, TIB), Duration.ofHours(1)),
        "ledger-" + name));
  }

  private static VolumeSpec raw(String name, long size, Allocation allocation) {
    return new VolumeSpec(name, size, FileSystemType.NONE, Optional.empty(), List.of(), allocation);
  }

  private static Volume ready(VolumeSpec spec) {
    long allocated = spec.allocation().reservesBlocks() ? spec.size() : 0;
    return new Volume(spec, Instant.parse("2024-05-01T12:00:00Z"), allocated, Volume.State.READY, false);
  }

  private static final class Pool {
    final ActorRef<Ledger.Command> ledger;
    final TestProbe<Ledger.ReserveReply> reserves = testKit.createTestProbe();
    final TestProbe<Ledger.DeleteReply> deletes = testKit.createTestProbe();
    final TestProbe<Ledger.ChangeReply> preallocations = testKit.createTestProbe();
    final TestProbe<Ledger.StatsReply> stats = testKit.createTestProbe();

    Pool(ActorRef<Ledger.Command> ledger) {
      this.ledger = ledger;
    }

    /** Reserved and published as a worker would. */
    Volume publish(VolumeSpec spec) {
      ledger.tell(new Ledger.Reserve(spec, reserves.getRef()));
      long id = assertInstanceOf(Ledger.Admitted.class, reserves.receiveMessage()).reservationId();
      Volume volume = ready(spec);
      ledger.tell(new Ledger.Complete(id, volume));
      return volume;
    }

    <R> void assertBusy(Ledger.Command request, TestProbe<R> probe) {
      ledger.tell(request);
      Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, probe.receiveMessage());
      assertEquals(ErrorCode.BUSY, refused.code(), refused.message());
      assertTrue(refused.message().contains("being preallocated"), refused.message());
    }

    Ledger.PoolStats stats() {
      ledger.tell(new Ledger.GetStats(stats.getRef()));
      return assertInstanceOf(Ledger.PoolStats.class, stats.receiveMessage());
    }
  }
}

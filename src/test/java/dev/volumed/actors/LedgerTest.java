package dev.volumed.actors;

import static dev.volumed.model.Sizes.GIB;
import static dev.volumed.model.Sizes.KIB;
import static dev.volumed.model.Sizes.MIB;
import static dev.volumed.model.Sizes.TIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.TestImages;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.FormatOverhead;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import dev.volumed.settings.PoolSettings;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The space-accounting rules of DESIGN.md ("Space accounting"), asked of one ledger per test. */
class LedgerTest {

  /**
   * {@code ActorTestKit.create()} reads only application-test.conf (plus reference.conf), not the
   * packaged application.conf, so {@code volumed.blocking-dispatcher} would be missing and the ledger
   * would fail at start. Read the test settings over the packaged defaults, as TestDaemon does.
   */
  static final Config CONFIG = ConfigFactory.parseResources("application-test.conf")
      .withFallback(ConfigFactory.load())
      .resolve();

  static final ActorTestKit testKit = ActorTestKit.create(CONFIG);

  private static final AtomicInteger ledgers = new AtomicInteger();
  /** Longer than any test: figures change only when a test says so. */
  private static final Duration NO_REFRESH = Duration.ofHours(1);
  /** "At once": well below any timeout a client would notice. */
  private static final Duration AT_ONCE = Duration.ofSeconds(1);

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  // ---- rule 1: physical room for fallocate and full ------------------------------------------

  @Test
  void fallocateAndFullFillUsableCapacityExactlyThenRefuseOneByteMore() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());

    pool.admit(fallocate("vm1/root.img", 8 * GIB - 4096));
    pool.admit(full("vm1/swap.img", 4096));
    assertEquals(8 * GIB, pool.stats().committedBytes());

    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm1/one-byte.img", 1));
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, full("vm1/one-byte.img", 1));
    assertEquals(8 * GIB, pool.stats().committedBytes());
  }

  @Test
  void reservedPercentOfCapacityIsNotUsableForFallocate() {
    // C = 10 GiB, R = 10 % = 1 GiB, usable = 9 GiB
    Pool pool = pool(OptionalLong.of(10 * GIB), 10, 1.0, plentyOfSpace());

    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("big.img", 9 * GIB + 1));
    pool.admit(fallocate("big.img", 9 * GIB));
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, full("more.img", 1));

    Ledger.PoolStats stats = pool.stats();
    assertEquals(10 * GIB, stats.capacityBytes());
    assertEquals(9 * GIB, stats.committedBytes());
    assertEquals(0, stats.availableForFallocateBytes());
  }

  @Test
  void fallocateMustFitInFileSystemFreeSpaceBeyondTheReserve() {
    // C = 100 GiB (the file system), R = 1 % = 1 GiB; free 11 GiB, so 10 GiB beyond the reserve
    ControlledSpace space = new ControlledSpace(100 * GIB, 11 * GIB);
    Pool pool = pool(OptionalLong.empty(), 1, 4.0, space);

    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm1/data.img", 10 * GIB + 1));
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, full("vm1/data.img", 10 * GIB + 4096));
    pool.admit(fallocate("vm1/data.img", 10 * GIB));
  }

  @Test
  void fallocateReadsTheFileSystemAgainForEachDecision() {
    ControlledSpace space = new ControlledSpace(100 * GIB, 2 * GIB);
    Pool pool = pool(OptionalLong.empty(), 0, 1.0, space);

    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm1/data.img", 3 * GIB));
    space.setFree(3 * GIB); // someone else freed space on the file system
    pool.admit(fallocate("vm1/data.img", 3 * GIB));
  }

  @Test
  void inFlightFallocateReservationsAreSubtractedFromFileSystemFree() {
    // Plenty of capacity: only the file system's 10 GiB of free space can refuse.
    ControlledSpace space = new ControlledSpace(100 * GIB, 10 * GIB);
    Pool pool = pool(OptionalLong.empty(), 0, 1.0, space);

    long first = pool.admit(fallocate("vm1/a.img", 6 * GIB));
    // The probe still says 10 GiB free: the first image has not taken its blocks yet.
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm2/a.img", 6 * GIB));
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, full("vm2/a.img", 4 * GIB + 4096));
    long second = pool.admit(full("vm2/a.img", 4 * GIB));

    Ledger.PoolStats stats = pool.stats();
    assertEquals(10 * GIB, stats.filesystemFreeBytes());
    assertEquals(0, stats.availableForFallocateBytes());

    // The first image is published and holds its blocks: the file system now says 4 GiB free,
    // all of it promised to the second, still in flight.
    space.setFree(4 * GIB);
    pool.complete(first, fallocate("vm1/a.img", 6 * GIB));
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm3/a.img", 4096));

    pool.ledger.tell(new Ledger.Release(second));
    pool.admit(fallocate("vm3/a.img", 4 * GIB));
  }

  // ---- rule 2: the overcommit limit ----------------------------------------------------------

  @Test
  void sparseVolumesMayProvisionUpToUsableTimesTheRatioExactly() {
    // usable 4 GiB × ratio 2.0 = 8 GiB
    Pool pool = pool(OptionalLong.of(4 * GIB), 0, 2.0, plentyOfSpace());

    pool.admit(sparse("vm1/root.img", 8 * GIB - 4096));
    pool.admit(sparse("vm1/tiny.img", 4096));
    assertEquals(8 * GIB, pool.stats().provisionedBytes());

    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, sparse("vm2/tiny.img", 4096));
    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, raw("vm2/tiny.img", 1));
  }

  @Test
  void fallocateVolumesCountTowardTheOvercommitLimit() {
    Pool pool = pool(OptionalLong.of(4 * GIB), 0, 2.0, plentyOfSpace());

    pool.admit(sparse("vm1/root.img", 6 * GIB));
    // Physical room is there (nothing committed), but 6 + 4 > 8 provisioned.
    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, fallocate("vm1/data.img", 4 * GIB));
    pool.admit(fallocate("vm1/data.img", 2 * GIB));

    Ledger.PoolStats stats = pool.stats();
    assertEquals(8 * GIB, stats.provisionedBytes());
    assertEquals(2 * GIB, stats.committedBytes());
    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, sparse("vm2/root.img", 4096));
  }

  @Test
  void overcommitLimitUsesUsableCapacityAfterTheReserve() {
    // C = 10 GiB, R = 1 GiB, usable 9 GiB, ratio 1.5: limit 13.5 GiB
    Pool pool = pool(OptionalLong.of(10 * GIB), 10, 1.5, plentyOfSpace());

    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, sparse("vm1/root.img", 27 * GIB / 2 + 4096));
    pool.admit(sparse("vm1/root.img", 27 * GIB / 2));
    assertEquals(0, pool.stats().availableForSparseBytes());
  }

  @Test
  void hugeSparseRequestCannotWrapTheProvisionedSumAround() {
    // The largest size the protocol accepts: a multiple of 4096 just under 2^63.
    long largest = Long.MAX_VALUE - 4095;
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    pool.admit(raw("vm1/root.img", GIB));
    Ledger.PoolStats before = pool.stats();

    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, raw("vm2/huge.img", largest));

    assertEquals(before, pool.stats());
  }

  @Test
  void batchWhoseSizesAddUpPastTheLargestLongIsRefused() {
    long half = 1L << 62; // two of them add up to 2^63
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    Ledger.PoolStats before = pool.stats();

    pool.refuseAll(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm1/a.img", half), fallocate("vm1/b.img", half));
    pool.refuseAll(ErrorCode.OVERCOMMIT_LIMIT, raw("vm1/a.img", half), raw("vm1/b.img", half));
    pool.refuseAll(ErrorCode.OVERCOMMIT_LIMIT, raw("vm1/a.img", Long.MAX_VALUE - 4095), raw("vm1/b.img", 4096));

    assertEquals(before, pool.stats());
    pool.assertNotFound("vm1/a.img");
  }

  // ---- rule order ----------------------------------------------------------------------------

  @Test
  void fallocateFailingPhysicalRoomAndOvercommitIsRefusedForPhysicalRoomFirst() {
    Pool pool = pool(OptionalLong.of(4 * GIB), 0, 1.0, plentyOfSpace());
    pool.admit(sparse("vm1/root.img", 4 * GIB));

    // 5 GiB breaks both committed + S <= usable and provisioned + S <= usable × ratio.
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm1/data.img", 5 * GIB));
    // 1 GiB breaks only the overcommit limit.
    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, fallocate("vm1/data.img", GIB));
  }

  @Test
  void fallocateWithoutFileSystemRoomIsInsufficientSpaceEvenPastTheOvercommitLimit() {
    ControlledSpace space = new ControlledSpace(100 * GIB, GIB);
    Pool pool = pool(OptionalLong.of(4 * GIB), 0, 1.0, space);
    pool.admit(sparse("vm1/root.img", 4 * GIB));

    // committed + S <= usable holds; S <= filesystemFree - R and the overcommit limit do not.
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm1/data.img", 2 * GIB));
  }

  // ---- rule 3: formatting overhead of sparse volumes -----------------------------------------

  @Test
  void sparseFormattedVolumeNeedsFreeSpaceForItsFormattingOverhead() {
    long overhead = FormatOverhead.estimate(FileSystemType.EXT4, GIB, List.of());
    ControlledSpace space = new ControlledSpace(100 * GIB, overhead - 1);
    Pool pool = pool(OptionalLong.of(10 * GIB), 0, 4.0, space);

    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, sparse("vm1/root.img", GIB));
    // A raw image writes nothing when it is made: overhead 0.
    pool.admit(raw("vm1/root.img", GIB));
  }

  @Test
  void sparseFormattingOverheadFitsExactlyAndCountsWhileInFlight() {
    long overhead = FormatOverhead.estimate(FileSystemType.EXT4, GIB, List.of());
    ControlledSpace space = new ControlledSpace(100 * GIB, overhead);
    Pool pool = pool(OptionalLong.of(10 * GIB), 0, 4.0, space);

    long first = pool.admit(sparse("vm1/root.img", GIB));
    // The first one's formatting has not written yet, but its overhead is spoken for.
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, sparse("vm2/root.img", GIB));
    pool.admit(raw("vm2/raw.img", GIB));

    pool.ledger.tell(new Ledger.Release(first));
    pool.admit(sparse("vm2/root.img", GIB));
  }

  @Test
  void formattingOverheadMustFitBeyondTheReserve() {
    long overhead = FormatOverhead.estimate(FileSystemType.XFS, 2 * GIB, List.of());
    // C = 100 GiB, R = 1 GiB: free must be at least R + overhead
    ControlledSpace space = new ControlledSpace(100 * GIB, GIB + overhead - 1);
    Pool pool = pool(OptionalLong.empty(), 1, 4.0, space);

    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, spec("vm1/root.img", 2 * GIB, FileSystemType.XFS, Allocation.SPARSE));
  }

  // ---- capacity ------------------------------------------------------------------------------

  @Test
  void configuredCapacityLargerThanTheFileSystemIsCappedAtItsSize() {
    ControlledSpace space = new ControlledSpace(10 * GIB, 10 * GIB);
    Pool pool = pool(OptionalLong.of(100 * GIB), 0, 1.0, space);

    Ledger.PoolStats stats = pool.stats();
    assertEquals(10 * GIB, stats.capacityBytes());
    assertEquals(10 * GIB, stats.availableForSparseBytes());
    assertEquals(10 * GIB, stats.availableForFallocateBytes());
    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, sparse("vm1/root.img", 10 * GIB + 4096));
  }

  @Test
  void capacityDefaultsToTheFileSystemSize() {
    ControlledSpace space = new ControlledSpace(20 * GIB, 5 * GIB);
    Pool pool = pool(OptionalLong.empty(), 5, 1.0, space);

    Ledger.PoolStats stats = pool.stats();
    assertEquals(20 * GIB, stats.capacityBytes());
    assertEquals(5 * GIB, stats.filesystemFreeBytes());
    assertEquals(19 * GIB, stats.availableForSparseBytes());
    assertEquals(4 * GIB, stats.availableForFallocateBytes()); // free 5 GiB - R 1 GiB
  }

  // ---- the books -----------------------------------------------------------------------------

  @Test
  void statsShowTheBooksAfterAdmissionsCompletionsAndReleases() {
    // C = 20 GiB, R = 2 GiB, usable = 18 GiB, limit = 36 GiB; the file system has 12 GiB free.
    ControlledSpace space = new ControlledSpace(100 * GIB, 12 * GIB);
    Pool pool = pool(OptionalLong.of(20 * GIB), 10, 2.0, space);

    // min(18 - 0, 12 - 2, 36 - 0)
    pool.assertBooks(0, 0, 10 * GIB, 36 * GIB, 0, 0);

    long a = pool.admit(fallocate("vm1/a.img", 4 * GIB));
    // min(18 - 4, (12 - 4) - 2, 36 - 4)
    pool.assertBooks(4 * GIB, 4 * GIB, 6 * GIB, 32 * GIB, 0, 1);

    long b = pool.admit(sparse("vm1/b.img", 10 * GIB));
    // min(14, 6, 36 - 14)
    pool.assertBooks(4 * GIB, 14 * GIB, 6 * GIB, 22 * GIB, 0, 2);

    space.setFree(8 * GIB); // a's blocks are taken on disk
    pool.complete(a, fallocate("vm1/a.img", 4 * GIB));
    // min(18 - 4, 8 - 2, 36 - 14)
    pool.assertBooks(4 * GIB, 14 * GIB, 6 * GIB, 22 * GIB, 1, 1);

    pool.ledger.tell(new Ledger.Release(b));
    pool.assertBooks(4 * GIB, 4 * GIB, 6 * GIB, 32 * GIB, 1, 0);

    pool.admit(sparse("vm2/c.img", 30 * GIB));
    // the overcommit term binds: min(14, 6, 36 - 34)
    pool.assertBooks(4 * GIB, 34 * GIB, 2 * GIB, 2 * GIB, 1, 1);

    // The file system falls below the reserve: nothing for fallocate, never a negative figure.
    space.setFree(GIB);
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm2/d.img", 4096)); // reads the probe again
    pool.assertBooks(4 * GIB, 34 * GIB, 0, 2 * GIB, 1, 1);
    assertEquals(GIB, pool.stats().filesystemFreeBytes());
  }

  @Test
  void refusedRequestsLeaveTheBooksUnchanged() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    pool.admit(fallocate("vm1/a.img", 6 * GIB));
    Ledger.PoolStats before = pool.stats();

    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm1/b.img", 4 * GIB));
    pool.refuse(ErrorCode.OVERCOMMIT_LIMIT, sparse("vm1/b.img", 4 * GIB));

    assertEquals(before, pool.stats());
    pool.assertNotFound("vm1/b.img");
  }

  // ---- release ------------------------------------------------------------------------------

  @Test
  void releaseGivesTheReservedSpaceBack() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    long id = pool.admit(fallocate("vm1/root.img", 8 * GIB));
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm2/root.img", 4 * GIB));

    pool.ledger.tell(new Ledger.Release(id));

    pool.admit(fallocate("vm2/root.img", 4 * GIB));
    pool.assertNotFound("vm1/root.img");
    pool.assertBooks(4 * GIB, 4 * GIB, 4 * GIB, 4 * GIB, 0, 1);
  }

  @Test
  void releaseOfAnUnknownOrSpentReservationChangesNothing() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    long id = pool.admit(fallocate("vm1/root.img", 2 * GIB));
    pool.complete(id, fallocate("vm1/root.img", 2 * GIB));

    pool.ledger.tell(new Ledger.Release(id));
    pool.ledger.tell(new Ledger.Release(id + 1000));

    pool.assertBooks(2 * GIB, 2 * GIB, 6 * GIB, 6 * GIB, 1, 0);
  }

  @Test
  void reservationsOfAWorkerThatStopsWithoutFinishingAreReleased() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    pool.admit(fallocate("vm0/kept.img", GIB)); // another owner's, still in flight

    TestProbe<Ledger.ReserveReply> worker = testKit.createTestProbe(Ledger.ReserveReply.class);
    pool.ledger.tell(new Ledger.Reserve(fallocate("vm1/root.img", 4 * GIB), worker.getRef()));
    long published = worker.expectMessageClass(Ledger.Admitted.class).reservationId();
    pool.ledger.tell(new Ledger.Reserve(sparse("vm1/data.img", 2 * GIB), worker.getRef()));
    worker.expectMessageClass(Ledger.Admitted.class);
    pool.ledger.tell(new Ledger.Complete(published, ready(fallocate("vm1/root.img", 4 * GIB))));
    assertEquals(7 * GIB, pool.stats().provisionedBytes());

    worker.stop();

    // Only the one it never finished goes: the published volume and the other owner's stay.
    pool.stats.awaitAssert(() -> {
      assertEquals(5 * GIB, pool.stats().provisionedBytes());
      return null;
    });
    pool.assertBooks(5 * GIB, 5 * GIB, 3 * GIB, 3 * GIB, 1, 1);
    pool.assertNotFound("vm1/data.img");
    assertEquals(Volume.State.READY, pool.found("vm1/root.img").state());
    pool.admit(sparse("vm1/data.img", 2 * GIB)); // the name is free again, not BUSY
  }

  @Test
  void reservationMadeThroughAWorkersMessageAdapterIsReleasedWhenTheWorkerStops() {
    // CreateWorker reserves with a message adapter as replyTo: the ledger watches the adapter's ref.
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    TestProbe<Ledger.ReserveReply> seen = testKit.createTestProbe(Ledger.ReserveReply.class);
    ActorRef<AdapterWorker.Command> worker = testKit.spawn(
        AdapterWorker.create(pool.ledger, fallocate("vm1/root.img", 8 * GIB), seen.getRef()));
    seen.expectMessageClass(Ledger.Admitted.class);
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm2/root.img", 4096));

    worker.tell(AdapterWorker.Fail.INSTANCE);

    pool.stats.awaitAssert(() -> {
      pool.assertBooks(0, 0, 8 * GIB, 8 * GIB, 0, 0);
      return null;
    });
    pool.admit(fallocate("vm1/root.img", 8 * GIB));
  }

  // ---- complete, get, list, duplicates -------------------------------------------------------

  @Test
  void completedVolumeJoinsTheBooksAndAnswersRepeatedCreates() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    VolumeSpec spec = new VolumeSpec("vm1/root.img", GIB, FileSystemType.EXT4, Optional.of("root"),
        List.of("-m", "0"), Allocation.FALLOCATE);

    long id = pool.admit(spec);
    Volume creating = pool.found("vm1/root.img");
    assertEquals(Volume.State.CREATING, creating.state());
    assertEquals(spec, creating.spec());
    assertEquals(List.of(creating), pool.list());
    pool.refuse(ErrorCode.BUSY, spec);
    pool.refuse(ErrorCode.BUSY, sparse("vm1/root.img", 2 * GIB));
    pool.refuseDelete(ErrorCode.BUSY, "vm1/root.img");

    Volume volume = new Volume(spec, Instant.now().truncatedTo(ChronoUnit.MILLIS), GIB, Volume.State.READY, false);
    pool.ledger.tell(new Ledger.Complete(id, volume));

    assertEquals(volume, pool.found("vm1/root.img"));
    assertEquals(List.of(volume), pool.list());
    pool.assertBooks(GIB, GIB, 7 * GIB, 7 * GIB, 1, 0);
    assertEquals(GIB, pool.stats().allocatedBytes());

    // The same shape again (mkfs arguments are not part of it) is answered with the volume.
    pool.ledger.tell(new Ledger.Reserve(
        new VolumeSpec("vm1/root.img", GIB, FileSystemType.EXT4, Optional.of("root"), List.of(), Allocation.FALLOCATE),
        pool.reserves.getRef()));
    assertEquals(new Ledger.Existed(volume), pool.reserves.receiveMessage());

    pool.refuse(ErrorCode.ALREADY_EXISTS, new VolumeSpec("vm1/root.img", 2 * GIB, FileSystemType.EXT4,
        Optional.of("root"), List.of(), Allocation.FALLOCATE));
    pool.refuse(ErrorCode.ALREADY_EXISTS, new VolumeSpec("vm1/root.img", GIB, FileSystemType.XFS,
        Optional.of("root"), List.of(), Allocation.FALLOCATE));
    pool.refuse(ErrorCode.ALREADY_EXISTS, new VolumeSpec("vm1/root.img", GIB, FileSystemType.EXT4,
        Optional.empty(), List.of(), Allocation.FALLOCATE));
    pool.refuse(ErrorCode.ALREADY_EXISTS, new VolumeSpec("vm1/root.img", GIB, FileSystemType.EXT4,
        Optional.of("root"), List.of(), Allocation.SPARSE));
    pool.assertBooks(GIB, GIB, 7 * GIB, 7 * GIB, 1, 0);
  }

  @Test
  void listShowsReadyAndInFlightVolumesSortedByName() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 4.0, plentyOfSpace());
    long b = pool.admit(sparse("vm2/root.img", GIB));
    pool.admit(raw("vm1/root.img", GIB));
    pool.complete(b, sparse("vm2/root.img", GIB));

    List<Volume> volumes = pool.list();
    assertEquals(List.of("vm1/root.img", "vm2/root.img"), volumes.stream().map(Volume::name).toList());
    assertEquals(Volume.State.CREATING, volumes.get(0).state());
    assertEquals(Volume.State.READY, volumes.get(1).state());
  }

  // ---- atomic batches ------------------------------------------------------------------------

  @Test
  void batchIsAdmittedAsAWholeWithOneReservationIdPerSpecInOrder() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    VolumeSpec a = fallocate("vm1/a.img", 2 * GIB);
    VolumeSpec b = sparse("vm1/b.img", GIB);
    VolumeSpec c = full("vm1/c.img", 3 * GIB);

    List<Long> ids = pool.admitAll(a, b, c);
    assertEquals(3, ids.size());
    assertEquals(3, new HashSet<>(ids).size());
    pool.assertBooks(5 * GIB, 6 * GIB, 2 * GIB, 2 * GIB, 0, 3);
    for (String name : List.of("vm1/a.img", "vm1/b.img", "vm1/c.img")) {
      assertEquals(Volume.State.CREATING, pool.found(name).state());
    }

    // Each id belongs to the spec at its position.
    pool.ledger.tell(new Ledger.Release(ids.get(2)));
    pool.assertNotFound("vm1/c.img");
    pool.assertBooks(2 * GIB, 3 * GIB, 5 * GIB, 5 * GIB, 0, 2);
    pool.ledger.tell(new Ledger.Release(ids.get(1)));
    pool.assertNotFound("vm1/b.img");
    pool.assertBooks(2 * GIB, 2 * GIB, 6 * GIB, 6 * GIB, 0, 1);
    pool.complete(ids.get(0), a);
    assertEquals(Volume.State.READY, pool.found("vm1/a.img").state());
  }

  @Test
  void batchThatDoesNotFitIsRefusedAsAWholeWithTheBooksUnchanged() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    pool.admit(fallocate("vm0/x.img", 2 * GIB));
    Ledger.PoolStats before = pool.stats();

    // Each fits alone (4 <= 6), together they do not (8 > 6).
    pool.refuseAll(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm1/a.img", 4 * GIB), fallocate("vm1/b.img", 4 * GIB));
    pool.refuseAll(ErrorCode.OVERCOMMIT_LIMIT, sparse("vm1/a.img", 3 * GIB), sparse("vm1/b.img", 3 * GIB + 4096));
    // The physical-room rule applies to the batch's sum of fallocate/full sizes, before the limit.
    pool.refuseAll(ErrorCode.INSUFFICIENT_SPACE, full("vm1/a.img", 3 * GIB), fallocate("vm1/b.img", 3 * GIB + 4096),
        sparse("vm1/c.img", 4 * GIB));

    assertEquals(before, pool.stats());
    pool.assertNotFound("vm1/a.img");
    pool.assertNotFound("vm1/b.img");

    assertEquals(2, pool.admitAll(fallocate("vm1/a.img", 3 * GIB), full("vm1/b.img", 3 * GIB)).size());
    pool.assertBooks(8 * GIB, 8 * GIB, 0, 0, 0, 3);
  }

  @Test
  void batchNamingAVolumeTwiceIsABadRequest() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());

    pool.refuseAll(ErrorCode.BAD_REQUEST, raw("vm1/a.img", GIB), raw("vm1/b.img", GIB), sparse("vm1/a.img", GIB));

    pool.assertBooks(0, 0, 8 * GIB, 8 * GIB, 0, 0);
    pool.assertNotFound("vm1/a.img");
    pool.assertNotFound("vm1/b.img");
  }

  @Test
  void batchNamingABusyOrExistingVolumeIsRefusedAsAWhole() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    long done = pool.admit(raw("vm1/done.img", GIB));
    pool.complete(done, raw("vm1/done.img", GIB));
    pool.admit(raw("vm1/busy.img", GIB));
    Ledger.PoolStats before = pool.stats();

    pool.refuseAll(ErrorCode.BUSY, raw("vm2/a.img", GIB), raw("vm1/busy.img", GIB));
    pool.refuseAll(ErrorCode.ALREADY_EXISTS, raw("vm2/a.img", GIB), raw("vm1/done.img", 2 * GIB));

    assertEquals(before, pool.stats());
    pool.assertNotFound("vm2/a.img");
  }

  @Test
  void atomicBatchCountsAnIdenticalExistingVolumeAsExisted() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    long done = pool.admit(raw("vm1/done.img", GIB));
    pool.complete(done, raw("vm1/done.img", GIB));

    List<Ledger.ReserveReply> outcomes = pool.batch(true, raw("vm1/done.img", GIB), raw("vm1/new.img", GIB));

    assertInstanceOf(Ledger.Existed.class, outcomes.get(0));
    assertInstanceOf(Ledger.Admitted.class, outcomes.get(1));
    pool.assertBooks(0, 2 * GIB, 6 * GIB, 6 * GIB, 1, 1);
  }

  @Test
  void nonAtomicBatchAdmitsEachVolumeOnItsOwnInListOrder() {
    Pool pool = pool(OptionalLong.of(4 * GIB), 0, 1.0, plentyOfSpace());
    pool.admit(raw("vm0/busy.img", GIB));

    List<Ledger.ReserveReply> outcomes = pool.batch(false,
        fallocate("vm1/a.img", 2 * GIB), fallocate("vm1/b.img", 2 * GIB), raw("vm0/busy.img", GIB),
        fallocate("vm1/c.img", GIB), fallocate("vm1/a.img", 4096));

    assertInstanceOf(Ledger.Admitted.class, outcomes.get(0));
    // 1 GiB provisioned before, 2 GiB admitted: 2 GiB more would pass 4 GiB.
    assertEquals(ErrorCode.OVERCOMMIT_LIMIT, assertInstanceOf(Ledger.Refused.class, outcomes.get(1)).code());
    assertEquals(ErrorCode.BUSY, assertInstanceOf(Ledger.Refused.class, outcomes.get(2)).code());
    assertInstanceOf(Ledger.Admitted.class, outcomes.get(3));
    assertEquals(ErrorCode.BAD_REQUEST, assertInstanceOf(Ledger.Refused.class, outcomes.get(4)).code());
    pool.assertBooks(3 * GIB, 4 * GIB, 0, 0, 0, 3);
  }

  @Test
  void batchReservationsAreReleasedWhenTheirOwnerStops() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    TestProbe<Ledger.BatchReply> worker = testKit.createTestProbe(Ledger.BatchReply.class);
    pool.ledger.tell(new Ledger.ReserveBatch(
        List.of(fallocate("vm1/a.img", 4 * GIB), sparse("vm1/b.img", 4 * GIB)), true, worker.getRef()));
    worker.expectMessageClass(Ledger.BatchReserved.class);
    pool.assertBooks(4 * GIB, 8 * GIB, 0, 0, 0, 2);

    worker.stop();

    pool.stats.awaitAssert(() -> {
      pool.assertBooks(0, 0, 8 * GIB, 8 * GIB, 0, 0);
      return null;
    });
    pool.assertNotFound("vm1/a.img");
    pool.assertNotFound("vm1/b.img");
  }

  // ---- delete --------------------------------------------------------------------------------

  @Test
  void deleteHoldsTheNameBusyAndFreesTheSpaceWhenFinished() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    VolumeSpec spec = fallocate("vm1/root.img", 4 * GIB);
    long id = pool.admit(spec);
    Volume volume = pool.complete(id, spec);

    pool.ledger.tell(new Ledger.BeginDelete("vm1/root.img", pool.deletes.getRef()));
    assertEquals(new Ledger.Found(volume), pool.deletes.receiveMessage());

    pool.refuse(ErrorCode.BUSY, spec);
    pool.refuseAll(ErrorCode.BUSY, spec);
    pool.refuseDelete(ErrorCode.BUSY, "vm1/root.img");
    // Its space is still spoken for until the file is gone.
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm2/root.img", 5 * GIB));
    assertEquals(volume, pool.found("vm1/root.img"));

    pool.ledger.tell(new Ledger.DeleteFinished("vm1/root.img", true));

    pool.assertNotFound("vm1/root.img");
    assertEquals(List.of(), pool.list());
    pool.assertBooks(0, 0, 8 * GIB, 8 * GIB, 0, 0);
    pool.admit(fallocate("vm1/root.img", 8 * GIB));
  }

  @Test
  void deleteThatDidNotRemoveTheFileKeepsTheVolumeAndFreesTheName() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    VolumeSpec spec = fallocate("vm1/root.img", 4 * GIB);
    Volume volume = pool.complete(pool.admit(spec), spec);
    pool.ledger.tell(new Ledger.BeginDelete("vm1/root.img", pool.deletes.getRef()));
    pool.deletes.expectMessageClass(Ledger.Found.class);

    pool.ledger.tell(new Ledger.DeleteFinished("vm1/root.img", false));

    assertEquals(volume, pool.found("vm1/root.img"));
    pool.assertBooks(4 * GIB, 4 * GIB, 4 * GIB, 4 * GIB, 1, 0);
    pool.ledger.tell(new Ledger.Reserve(spec, pool.reserves.getRef()));
    assertEquals(new Ledger.Existed(volume), pool.reserves.receiveMessage());
  }

  @Test
  void deletionWhoseWorkerStopsNoLongerHoldsTheName() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    VolumeSpec spec = raw("vm1/root.img", GIB);
    Volume volume = pool.complete(pool.admit(spec), spec);
    TestProbe<Ledger.DeleteReply> deleter = testKit.createTestProbe(Ledger.DeleteReply.class);
    pool.ledger.tell(new Ledger.BeginDelete("vm1/root.img", deleter.getRef()));
    deleter.expectMessageClass(Ledger.Found.class);

    deleter.stop();

    // The volume stays in the books (nobody knows whether the file went) and the name is free.
    pool.deletes.awaitAssert(() -> {
      pool.ledger.tell(new Ledger.BeginDelete("vm1/root.img", pool.deletes.getRef()));
      assertEquals(new Ledger.Found(volume), pool.deletes.receiveMessage());
      return null;
    });
  }

  @Test
  void unknownNamesAreNotFound() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());

    pool.assertNotFound("vm9/none.img");
    pool.refuseDelete(ErrorCode.NOT_FOUND, "vm9/none.img");
    pool.ledger.tell(new Ledger.DeleteFinished("vm9/none.img", true)); // stray: ignored
    pool.assertBooks(0, 0, 8 * GIB, 8 * GIB, 0, 0);
  }

  // ---- ordering ------------------------------------------------------------------------------

  @Test
  void concurrentReservationsNeverSpendTheSameBytes() throws Exception {
    int askers = 200;
    Pool pool = pool(OptionalLong.of(50 * GIB), 0, 1.0, plentyOfSpace());
    List<TestProbe<Ledger.ReserveReply>> probes = new ArrayList<>();
    for (int i = 0; i < askers; i++) {
      probes.add(testKit.createTestProbe(Ledger.ReserveReply.class));
    }

    ExecutorService threads = Executors.newFixedThreadPool(16);
    CountDownLatch go = new CountDownLatch(1);
    try {
      for (int i = 0; i < askers; i++) {
        int n = i;
        threads.execute(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          pool.ledger.tell(new Ledger.Reserve(fallocate("vm" + n + "/root.img", GIB), probes.get(n).getRef()));
        });
      }
      go.countDown();
    } finally {
      threads.shutdown();
      assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    int admitted = 0;
    int insufficient = 0;
    for (TestProbe<Ledger.ReserveReply> probe : probes) {
      Ledger.ReserveReply reply = probe.receiveMessage();
      if (reply instanceof Ledger.Admitted) {
        admitted++;
      } else if (reply instanceof Ledger.Refused refused && refused.code() == ErrorCode.INSUFFICIENT_SPACE) {
        insufficient++;
      }
    }
    assertEquals(50, admitted);
    assertEquals(150, insufficient);
    pool.assertBooks(50 * GIB, 50 * GIB, 0, 0, 0, 50);
  }

  @Test
  void requestsFromOneSenderAreAnsweredInArrivalOrder() {
    Pool pool = pool(OptionalLong.of(10 * GIB), 0, 1.0, plentyOfSpace());

    pool.ledger.tell(new Ledger.Reserve(fallocate("vm1/big.img", 8 * GIB), pool.reserves.getRef()));
    pool.ledger.tell(new Ledger.Reserve(fallocate("vm1/too-big.img", 4 * GIB), pool.reserves.getRef()));
    pool.ledger.tell(new Ledger.Reserve(fallocate("vm1/small.img", 2 * GIB), pool.reserves.getRef()));

    pool.reserves.expectMessageClass(Ledger.Admitted.class);
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, pool.reserves.expectMessageClass(Ledger.Refused.class).code());
    pool.reserves.expectMessageClass(Ledger.Admitted.class);
    pool.assertBooks(10 * GIB, 10 * GIB, 0, 0, 0, 2);
  }

  // ---- loading -------------------------------------------------------------------------------

  @Test
  void imagesAlreadyInThePoolAreInTheBooksAfterStart() throws Exception {
    Path root = dir.resolve("loaded");
    PoolStore store = new PoolStore("loaded", root, new Formatter(Duration.ofMinutes(1)));
    // Made by volumed earlier: an image and its metadata.
    VolumeSpec sparseRoot = new VolumeSpec("vm1/root.img", 2 * GIB, FileSystemType.EXT4, Optional.of("root"),
        List.of(), Allocation.SPARSE);
    VolumeSpec preallocated = spec("vm2/data.img", GIB, FileSystemType.NONE, Allocation.FALLOCATE);
    Volume recorded = ready(sparseRoot);
    sparseImage(root.resolve("vm1/root.img"), 2 * GIB);
    store.writeMetadata(recorded);
    // The metadata, not the blocks on disk, says how it was allocated.
    sparseImage(root.resolve("vm2/data.img"), GIB);
    store.writeMetadata(ready(preallocated));
    // Not made by volumed: one written in full, one sparse.
    writtenImage(root.resolve("scratch.img"), 64 * KIB);
    sparseImage(root.resolve("vm3/blank.img"), MIB);
    // Left by a creation that was interrupted.
    Path leftover = TestImages.tempPathFor(root.resolve("vm4/big.img"));
    sparseImage(leftover, GIB);

    Pool pool = pool("loaded", root, store, OptionalLong.of(100 * GIB), 0, 1.0, plentyOfSpace());
    // Sent before the books are loaded: answered from the loaded books.
    pool.ledger.tell(new Ledger.Reserve(sparseRoot, pool.reserves.getRef()));
    Ledger.Existed existed = pool.reserves.expectMessageClass(Ledger.Existed.class);
    assertEquals(sparseRoot, existed.volume().spec());
    assertEquals(recorded.createdAt(), existed.volume().createdAt());
    assertFalse(existed.volume().adopted());

    Ledger.PoolStats stats = pool.stats();
    assertEquals(2 * GIB + GIB + 64 * KIB + MIB, stats.provisionedBytes());
    assertEquals(GIB + 64 * KIB, stats.committedBytes());
    assertEquals(4, stats.volumes());
    assertEquals(0, stats.inFlight());
    assertEquals(List.of("scratch.img", "vm1/root.img", "vm2/data.img", "vm3/blank.img"),
        pool.list().stream().map(Volume::name).toList());

    Volume scratch = pool.found("scratch.img");
    assertTrue(scratch.adopted());
    assertEquals(Allocation.FALLOCATE, scratch.spec().allocation());
    assertEquals(FileSystemType.NONE, scratch.spec().fs());
    assertEquals(Volume.State.READY, scratch.state());
    Volume blank = pool.found("vm3/blank.img");
    assertTrue(blank.adopted());
    assertEquals(Allocation.SPARSE, blank.spec().allocation());
    assertEquals(preallocated, pool.found("vm2/data.img").spec());
    // Its metadata says fallocate, its image has no blocks: damaged, and counted as its metadata says.
    assertEquals(Volume.State.DAMAGED, pool.found("vm2/data.img").state());

    assertFalse(Files.exists(leftover), "temporary leftover should be removed at load");
    pool.assertNotFound("vm4/big.img");
    // Loaded volumes hold their space like any other.
    pool.refuse(ErrorCode.INSUFFICIENT_SPACE, fallocate("vm5/root.img", 99 * GIB));
    pool.refuse(ErrorCode.ALREADY_EXISTS, raw("vm2/data.img", GIB));
  }

  @Test
  void emptyPoolFolderIsCreatedAndStartsWithEmptyBooks() {
    Pool pool = pool(OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());
    pool.assertBooks(0, 0, 8 * GIB, 8 * GIB, 0, 0);
    assertEquals(List.of(), pool.list());
    assertTrue(Files.isDirectory(pool.root));
    assertEquals(pool.root.toString(), pool.stats().path());
  }

  // ---- a ledger that cannot use its books -----------------------------------------------------

  @Test
  void aLedgerWhoseHandlerThrowsAnswersEveryRequestWithIoErrorAtOnceUntilItServesAgain() throws Exception {
    String name = "throwing" + ledgers.incrementAndGet();
    Path root = dir.resolve(name);
    PoolStore store = new PoolStore(name, root, new Formatter(Duration.ofMinutes(1)));
    sparseImage(root.resolve("kept.img"), GIB);
    store.writeMetadata(ready(raw("kept.img", GIB)));
    ControlledSpace space = plentyOfSpace();
    Pool pool = pool(name, root, store, OptionalLong.of(8 * GIB), 0, 1.0, space);
    // Only in the books, not on disk: gone once the books are loaded from disk again.
    pool.admit(raw("in-memory.img", GIB));
    space.fail("cannot read the file system of the pool: it went away");

    // The request whose handler threw is answered, naming the cause.
    pool.ledger.tell(new Ledger.Reserve(fallocate("a.img", GIB), pool.reserves.getRef()));
    Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, pool.reserves.receiveMessage(AT_ONCE));
    assertEquals(ErrorCode.IO_ERROR, refused.code(), refused.message());
    assertTrue(refused.message().contains("it went away"), refused.message());
    // So is every request while it cannot load its books again (each reload reads the file system).
    pool.ledger.tell(new Ledger.GetStats(pool.stats.getRef()));
    assertEquals(ErrorCode.IO_ERROR, assertInstanceOf(Ledger.Refused.class, pool.stats.receiveMessage(AT_ONCE)).code());
    pool.ledger.tell(new Ledger.ListVolumes(pool.lists.getRef()));
    assertEquals(ErrorCode.IO_ERROR, assertInstanceOf(Ledger.Refused.class, pool.lists.receiveMessage(AT_ONCE)).code());
    pool.ledger.tell(new Ledger.Get("kept.img", pool.gets.getRef()));
    assertEquals(ErrorCode.IO_ERROR, assertInstanceOf(Ledger.Refused.class, pool.gets.receiveMessage(AT_ONCE)).code());
    pool.ledger.tell(new Ledger.BeginDelete("kept.img", pool.deletes.getRef()));
    assertEquals(ErrorCode.IO_ERROR, assertInstanceOf(Ledger.Refused.class, pool.deletes.receiveMessage(AT_ONCE)).code());

    space.fail(null);
    pool.stats.awaitAssert(Duration.ofSeconds(20), () -> {
      pool.ledger.tell(new Ledger.GetStats(pool.stats.getRef()));
      return assertInstanceOf(Ledger.PoolStats.class, pool.stats.receiveMessage(AT_ONCE));
    });
    // Its books were loaded from disk again: the volume on disk is there, the reservation is not.
    assertEquals(List.of("kept.img"), pool.list().stream().map(Volume::name).toList());
    pool.assertBooks(0, GIB, 7 * GIB, 7 * GIB, 1, 0);
  }

  @Test
  void aPoolThatCannotLoadAnswersIoErrorNamingTheCauseAndLoadsOnceItCan() throws Exception {
    String name = "unloadable" + ledgers.incrementAndGet();
    Path root = dir.resolve(name);
    Files.writeString(root, "a file where the pool's folder should be");
    Pool pool = pool(name, root, new PoolStore(name, root, new Formatter(Duration.ofMinutes(1))),
        OptionalLong.of(8 * GIB), 0, 1.0, plentyOfSpace());

    pool.ledger.tell(new Ledger.Reserve(sparse("a.img", GIB), pool.reserves.getRef()));
    Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, pool.reserves.receiveMessage(AT_ONCE));
    assertEquals(ErrorCode.IO_ERROR, refused.code(), refused.message());
    assertTrue(refused.message().contains(root.toString()), refused.message());
    pool.ledger.tell(new Ledger.GetStats(pool.stats.getRef()));
    assertInstanceOf(Ledger.Refused.class, pool.stats.receiveMessage(AT_ONCE));

    Files.delete(root);
    Files.createDirectory(root);
    pool.stats.awaitAssert(Duration.ofSeconds(30), () -> {
      pool.ledger.tell(new Ledger.GetStats(pool.stats.getRef()));
      return assertInstanceOf(Ledger.PoolStats.class, pool.stats.receiveMessage(AT_ONCE));
    });
    pool.admit(sparse("a.img", GIB));
  }

  // ---- fixtures ------------------------------------------------------------------------------

  private static ControlledSpace plentyOfSpace() {
    return new ControlledSpace(TIB, TIB);
  }

  private Pool pool(OptionalLong capacity, double reservedPercent, double ratio, SpaceProbe probe) {
    String name = "pool" + ledgers.incrementAndGet();
    Path root = dir.resolve(name);
    return pool(name, root, new PoolStore(name, root, new Formatter(Duration.ofMinutes(1))), capacity,
        reservedPercent, ratio, probe);
  }

  private Pool pool(String name, Path root, PoolStore store, OptionalLong capacity, double reservedPercent,
      double ratio, SpaceProbe probe) {
    PoolSettings settings = new PoolSettings(name, root, capacity, reservedPercent, ratio, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty(),
        // The admission rules are tested on nearly full file systems: full only at 100 %, so the
        // refusal at level full (LevelsTest) stays out of their way.
        new dev.volumed.model.Watermarks(98, 99, 100));
    ActorRef<Ledger.Command> ledger = testKit.spawn(Ledger.create(settings, store, probe, NO_REFRESH),
        "ledger-" + name + "-" + ledgers.incrementAndGet());
    return new Pool(ledger, root);
  }

  private static VolumeSpec spec(String name, long size, FileSystemType fs, Allocation allocation) {
    return new VolumeSpec(name, size, fs, Optional.empty(), List.of(), allocation);
  }

  private static VolumeSpec fallocate(String name, long size) {
    return spec(name, size, FileSystemType.EXT4, Allocation.FALLOCATE);
  }

  private static VolumeSpec full(String name, long size) {
    return spec(name, size, FileSystemType.EXT4, Allocation.FULL);
  }

  /** Sparse and formatted: the formatting overhead applies. */
  private static VolumeSpec sparse(String name, long size) {
    return spec(name, size, FileSystemType.EXT4, Allocation.SPARSE);
  }

  /** Sparse and unformatted: no formatting overhead. */
  private static VolumeSpec raw(String name, long size) {
    return spec(name, size, FileSystemType.NONE, Allocation.SPARSE);
  }

  private static Volume ready(VolumeSpec spec) {
    long allocated = spec.allocation().reservesBlocks() ? spec.size() : 0;
    return new Volume(spec, Instant.parse("2024-05-01T12:00:00Z"), allocated, Volume.State.READY, false);
  }

  private static void sparseImage(Path path, long size) throws IOException {
    Files.createDirectories(path.getParent());
    try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
      file.setLength(size);
    }
  }

  private static void writtenImage(Path path, long size) throws IOException {
    Files.createDirectories(path.getParent());
    byte[] bytes = new byte[(int) size];
    Arrays.fill(bytes, (byte) 0x5a);
    Files.write(path, bytes);
  }

  /** One ledger with one probe per reply type, and the questions the tests ask it. */
  private static final class Pool {
    final ActorRef<Ledger.Command> ledger;
    final Path root;
    final TestProbe<Ledger.ReserveReply> reserves = testKit.createTestProbe(Ledger.ReserveReply.class);
    final TestProbe<Ledger.BatchReply> batches = testKit.createTestProbe(Ledger.BatchReply.class);
    final TestProbe<Ledger.GetReply> gets = testKit.createTestProbe(Ledger.GetReply.class);
    final TestProbe<Ledger.DeleteReply> deletes = testKit.createTestProbe(Ledger.DeleteReply.class);
    final TestProbe<Ledger.ListReply> lists = testKit.createTestProbe(Ledger.ListReply.class);
    final TestProbe<Ledger.StatsReply> stats = testKit.createTestProbe(Ledger.StatsReply.class);

    Pool(ActorRef<Ledger.Command> ledger, Path root) {
      this.ledger = ledger;
      this.root = root;
    }

    long admit(VolumeSpec spec) {
      ledger.tell(new Ledger.Reserve(spec, reserves.getRef()));
      Ledger.ReserveReply reply = reserves.receiveMessage();
      return assertInstanceOf(Ledger.Admitted.class, reply, () -> spec.name() + " should be admitted").reservationId();
    }

    void refuse(ErrorCode code, VolumeSpec spec) {
      ledger.tell(new Ledger.Reserve(spec, reserves.getRef()));
      Ledger.ReserveReply reply = reserves.receiveMessage();
      Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, reply, () -> spec + " should be refused");
      assertEquals(code, refused.code(), refused.message());
      assertFalse(refused.message().isBlank());
    }

    /** An atomic batch that must be admitted whole: each spec's reservation id, in order. */
    List<Long> admitAll(VolumeSpec... specs) {
      return batch(true, specs).stream()
          .map(outcome -> assertInstanceOf(Ledger.Admitted.class, outcome).reservationId())
          .toList();
    }

    /** Each spec's outcome of a batch the ledger did not refuse as a whole. */
    List<Ledger.ReserveReply> batch(boolean atomic, VolumeSpec... specs) {
      ledger.tell(new Ledger.ReserveBatch(List.of(specs), atomic, batches.getRef()));
      return assertInstanceOf(Ledger.BatchReserved.class, batches.receiveMessage()).outcomes();
    }

    void refuseAll(ErrorCode code, VolumeSpec... specs) {
      ledger.tell(new Ledger.ReserveBatch(List.of(specs), true, batches.getRef()));
      Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, batches.receiveMessage());
      assertEquals(code, refused.code(), refused.message());
    }

    /** Publishes the reservation as a ready volume of that spec, as a worker would. */
    Volume complete(long reservationId, VolumeSpec spec) {
      Volume volume = ready(spec);
      ledger.tell(new Ledger.Complete(reservationId, volume));
      return volume;
    }

    Volume found(String name) {
      ledger.tell(new Ledger.Get(name, gets.getRef()));
      return assertInstanceOf(Ledger.Found.class, gets.receiveMessage(), name).volume();
    }

    void assertNotFound(String name) {
      ledger.tell(new Ledger.Get(name, gets.getRef()));
      Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, gets.receiveMessage(), name);
      assertEquals(ErrorCode.NOT_FOUND, refused.code());
    }

    void refuseDelete(ErrorCode code, String name) {
      ledger.tell(new Ledger.BeginDelete(name, deletes.getRef()));
      Ledger.Refused refused = assertInstanceOf(Ledger.Refused.class, deletes.receiveMessage(), name);
      assertEquals(code, refused.code(), refused.message());
    }

    List<Volume> list() {
      ledger.tell(new Ledger.ListVolumes(lists.getRef()));
      return assertInstanceOf(Ledger.VolumeList.class, lists.receiveMessage()).volumes();
    }

    Ledger.PoolStats stats() {
      ledger.tell(new Ledger.GetStats(stats.getRef()));
      return assertInstanceOf(Ledger.PoolStats.class, stats.receiveMessage());
    }

    void assertBooks(long committed, long provisioned, long forFallocate, long forSparse, int volumes, int inFlight) {
      Ledger.PoolStats s = stats();
      assertEquals(committed, s.committedBytes(), "committedBytes");
      assertEquals(provisioned, s.provisionedBytes(), "provisionedBytes");
      assertEquals(forFallocate, s.availableForFallocateBytes(), "availableForFallocateBytes");
      assertEquals(forSparse, s.availableForSparseBytes(), "availableForSparseBytes");
      assertEquals(volumes, s.volumes(), "volumes");
      assertEquals(inFlight, s.inFlight(), "inFlight");
    }
  }
}

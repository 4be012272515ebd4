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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a ledger hands the metrics: its own figures after each change, reservations in flight included. */
class LedgerSnapshotsTest {
  static final ActorTestKit testKit = ActorTestKit.create(LedgerTest.CONFIG);
  private static final long GIB = 1L << 30;

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static double gauge(String name, String pool) {
    Matcher m = Pattern.compile("(?m)^" + name + "\\{pool=\"" + pool + "\"\\} (\\S+)$")
        .matcher(Meters.of(testKit.system()).textString());
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }

  @Test
  void theGaugesFollowTheBooksThroughReserveCompleteReleaseAndDelete() {
    String name = "snapshots";
    Path root = dir.resolve(name);
    PoolSettings settings = new PoolSettings(name, root, OptionalLong.of(100 * GIB), 0, 2.0, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    ActorRef<Ledger.Command> ledger = testKit.spawn(Ledger.create(settings,
        new PoolStore(name, root, new Formatter(Duration.ofMinutes(1))), () -> new Space(1L << 40, 1L << 40),
        Duration.ofHours(1)));
    TestProbe<Ledger.ReserveReply> reserves = testKit.createTestProbe(Ledger.ReserveReply.class);
    TestProbe<Ledger.StatsReply> stats = testKit.createTestProbe(Ledger.StatsReply.class);
    TestProbe<Ledger.DeleteReply> deletes = testKit.createTestProbe(Ledger.DeleteReply.class);
    // A stats round trip after each step: the ledger has finished the step (and published) by then.
    Runnable settled = () -> {
      ledger.tell(new Ledger.GetStats(stats.getRef()));
      Ledger.PoolStats books = assertInstanceOf(Ledger.PoolStats.class, stats.receiveMessage());
      assertEquals(books.committedBytes(), gauge("volumed_pool_committed_bytes", name));
      assertEquals(books.provisionedBytes(), gauge("volumed_pool_provisioned_bytes", name));
      assertEquals(books.volumes(), gauge("volumed_pool_volumes", name));
      assertEquals(books.capacityBytes(), gauge("volumed_pool_capacity_bytes", name));
    };
    settled.run();

    VolumeSpec data = new VolumeSpec("vm1/data.img", 4 * GIB, FileSystemType.NONE, Optional.empty(), List.of(),
        Allocation.FALLOCATE);
    ledger.tell(new Ledger.Reserve(data, reserves.getRef()));
    long id = assertInstanceOf(Ledger.Admitted.class, reserves.receiveMessage()).reservationId();
    settled.run();
    assertEquals(4 * GIB, gauge("volumed_pool_committed_bytes", name), "a reservation in flight is committed");
    assertEquals(0, gauge("volumed_pool_volumes", name));

    ledger.tell(new Ledger.Complete(id, new Volume(data, Instant.now(), 4 * GIB, Volume.State.READY, false)));
    settled.run();
    assertEquals(1, gauge("volumed_pool_volumes", name));
    assertEquals(4 * GIB, gauge("volumed_pool_allocated_bytes", name));

    VolumeSpec other = new VolumeSpec("vm2/data.img", 8 * GIB, FileSystemType.NONE, Optional.empty(), List.of(),
        Allocation.SPARSE);
    ledger.tell(new Ledger.Reserve(other, reserves.getRef()));
    long second = assertInstanceOf(Ledger.Admitted.class, reserves.receiveMessage()).reservationId();
    settled.run();
    assertEquals(12 * GIB, gauge("volumed_pool_provisioned_bytes", name));
    ledger.tell(new Ledger.Release(second));
    settled.run();
    assertEquals(4 * GIB, gauge("volumed_pool_provisioned_bytes", name));

    ledger.tell(new Ledger.BeginDelete("vm1/data.img", deletes.getRef()));
    assertInstanceOf(Ledger.Found.class, deletes.receiveMessage());
    ledger.tell(new Ledger.DeleteFinished("vm1/data.img", true));
    settled.run();
    assertEquals(0, gauge("volumed_pool_provisioned_bytes", name));
    assertEquals(0, gauge("volumed_pool_volumes", name));
  }
}

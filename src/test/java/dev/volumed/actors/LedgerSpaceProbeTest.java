package dev.volumed.actors;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import dev.volumed.accounting.Space;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolStore;
import dev.volumed.settings.PoolSettings;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who reads a ledger's space probe, and when: the ledger, on its own turn, never the blocking dispatcher. */
class LedgerSpaceProbeTest {
  static final ActorTestKit testKit = ActorTestKit.create(LedgerTest.CONFIG);

  @TempDir Path dir;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void probeIsReadOnTheLedgersOwnTurnOnlyAlsoAcrossRefreshes() {
    String name = "probe-threads";
    Path root = dir.resolve(name);
    ConcurrentLinkedQueue<String> readers = new ConcurrentLinkedQueue<>();
    SpaceProbe probe = () -> {
      readers.add(Thread.currentThread().getName());
      return new Space(1L << 40, 1L << 40);
    };
    PoolSettings settings = new PoolSettings(name, root, OptionalLong.empty(), 0, 1.0, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    // Refreshing every 20 ms: each refresh measures the images on the blocking dispatcher and leaves
    // the reading stale, so the next stats read the probe again.
    ActorRef<Ledger.Command> ledger = testKit.spawn(Ledger.create(settings,
        new PoolStore(name, root, new Formatter(Duration.ofMinutes(1))), probe, Duration.ofMillis(20)));
    TestProbe<Ledger.StatsReply> stats = testKit.createTestProbe(Ledger.StatsReply.class);

    Instant deadline = Instant.now().plusSeconds(20);
    while (readers.size() < 10) {
      assertTrue(Instant.now().isBefore(deadline), () -> "the probe was read only " + readers.size() + " times");
      ledger.tell(new Ledger.GetStats(stats.getRef()));
      assertInstanceOf(Ledger.PoolStats.class, stats.receiveMessage());
    }
    List<String> threads = List.copyOf(readers);
    assertTrue(threads.stream().allMatch(thread -> thread.contains("akka.actor.default-dispatcher")),
        () -> "the probe was read on " + threads);
  }
}

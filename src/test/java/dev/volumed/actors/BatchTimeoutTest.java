package dev.volumed.actors;

import static dev.volumed.model.Sizes.MIB;
import static dev.volumed.model.Sizes.TIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch whose worker never answers (its mkfs.ext4 is a stand-in that waits until the test lets
 * it go) ends at its timeout: it answers with each volume's outcome, gives back every reservation
 * it did not complete, and once the held mkfs ends, the image it finishes is removed rather than
 * left under its temporary name.
 */
class BatchTimeoutTest {
  private static final ActorTestKit testKit = ActorTestKit.create(LedgerTest.CONFIG);
  /** Short, and far longer than the two unformatted volumes take. */
  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  @TempDir Path dir;
  private Path root;
  private ActorRef<Ledger.Command> ledger;
  private VolumeBuilder builder;
  /** The stand-in mkfs.ext4 ends (successfully) once this file exists. */
  private Path go;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void pool() throws Exception {
    root = Files.createDirectories(dir.resolve("pool"));
    PoolSettings settings = new PoolSettings("default", root, OptionalLong.empty(), 0, 1000.0, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    Path tools = Files.createDirectories(dir.resolve("tools"));
    go = dir.resolve("go");
    Path mkfs = tools.resolve("mkfs.ext4");
    Files.writeString(mkfs, "#!/bin/sh\ncase \"$1\" in -V) echo 'mke2fs 1.47.0';; *) while [ ! -e '" + go
        + "' ]; do sleep 0.05; done;; esac\n");
    Files.setPosixFilePermissions(mkfs, PosixFilePermissions.fromString("rwxr-xr-x"));
    Formatter formatter = new Formatter(Duration.ofMinutes(2), List.of(tools));
    PoolStore store = new PoolStore("default", root, formatter);
    builder = new VolumeBuilder(settings, store, formatter);
    ledger = testKit.spawn(Ledger.create(settings, store, new ControlledSpace(TIB, TIB), Duration.ofHours(1)));
  }

  @Test
  void atomicBatchWithAWorkerThatNeverAnswersIsRolledBackAtItsTimeout() throws Exception {
    Ledger.PoolStats before = stats();
    TestProbe<BatchWorker.Output> output = testKit.createTestProbe(BatchWorker.Output.class);
    testKit.spawn(BatchWorker.create(batch(), true, true, 2, TIMEOUT, ledger, builder, output.getRef()));
    List<BatchWorker.Progress> progress = new ArrayList<>();
    BatchWorker.Finished finished = finished(output, progress);
    assertNotNull(finished.error(), "an atomic batch with a failed volume is a failure");
    assertEquals(ErrorCode.INTERNAL, finished.error().code());
    assertTrue(finished.error().getMessage().contains("vm1/hang.img failed: vm1/hang.img did not finish"),
        finished.error().getMessage());
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> outcomes = (List<Map<String, Object>>) finished.error().details().get("outcomes");
    assertEquals(List.of("failed", "rolled back", "rolled back"), outcomes.stream().map(o -> o.get("outcome")).toList());
    assertEquals(3, progress.size());
    assertEquals("failed", progress.stream().filter(p -> p.name().equals("vm1/hang.img")).findFirst()
        .orElseThrow().outcome());

    assertBooks(before, stats());
    Files.createFile(go);
    assertNothingLeft();
  }

  @Test
  void partialBatchWithAWorkerThatNeverAnswersKeepsTheRestAndFailsThatOneAtItsTimeout() throws Exception {
    Ledger.PoolStats before = stats();
    TestProbe<BatchWorker.Output> output = testKit.createTestProbe(BatchWorker.Output.class);
    testKit.spawn(BatchWorker.create(batch(), false, false, 2, TIMEOUT, ledger, builder, output.getRef()));
    BatchWorker.Finished finished = finished(output, new ArrayList<>());
    assertNull(finished.error());
    assertEquals(List.of("vm2/a.img", "vm3/b.img"), finished.created().stream().map(CreateWorker.Created::name).toList());
    assertEquals(1, finished.failed().size());
    assertEquals("vm1/hang.img", finished.failed().get(0).name());
    assertEquals(ErrorCode.INTERNAL, finished.failed().get(0).error().code());

    Ledger.PoolStats after = stats();
    assertEquals(2, after.volumes());
    assertEquals(before.provisionedBytes() + 2 * 16 * MIB, after.provisionedBytes());
    assertEquals(before.committedBytes(), after.committedBytes());
    assertEquals(0, after.inFlight());
    Files.createFile(go);
    assertNothingLeft();
    assertTrue(Files.exists(root.resolve("vm2/a.img")) && Files.exists(root.resolve("vm3/b.img")));
  }

  /** The first volume is formatted (by the held stand-in); the other two need no mkfs. */
  private static List<VolumeSpec> batch() {
    return List.of(
        new VolumeSpec("vm1/hang.img", 64 * MIB, FileSystemType.EXT4, Optional.empty(), List.of(), Allocation.SPARSE),
        new VolumeSpec("vm2/a.img", 16 * MIB, FileSystemType.NONE, Optional.empty(), List.of(), Allocation.SPARSE),
        new VolumeSpec("vm3/b.img", 16 * MIB, FileSystemType.NONE, Optional.empty(), List.of(), Allocation.SPARSE));
  }

  private static BatchWorker.Finished finished(TestProbe<BatchWorker.Output> output, List<BatchWorker.Progress> progress) {
    while (true) {
      BatchWorker.Output next = output.receiveMessage(TIMEOUT.multipliedBy(10));
      if (next instanceof BatchWorker.Finished finished) {
        return finished;
      }
      progress.add(assertInstanceOf(BatchWorker.Progress.class, next));
    }
  }

  private Ledger.PoolStats stats() {
    TestProbe<Ledger.StatsReply> probe = testKit.createTestProbe(Ledger.StatsReply.class);
    ledger.tell(new Ledger.GetStats(probe.getRef()));
    return assertInstanceOf(Ledger.PoolStats.class, probe.receiveMessage());
  }

  private static void assertBooks(Ledger.PoolStats before, Ledger.PoolStats after) {
    assertEquals(before.committedBytes(), after.committedBytes());
    assertEquals(before.provisionedBytes(), after.provisionedBytes());
    assertEquals(before.volumes(), after.volumes());
    assertEquals(0, after.inFlight(), "nothing in flight");
  }

  /** Once the held mkfs has ended, its worker (stopped by then) removes the image it made, and its folder. */
  private void assertNothingLeft() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    List<Path> left = leftovers();
    while ((!left.isEmpty() || Files.exists(root.resolve("vm1"))) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      left = leftovers();
    }
    assertEquals(List.of(), left, "temporary files");
    assertFalse(Files.exists(root.resolve("vm1")), "the given-up volume's folder");
    assertFalse(Files.exists(root.resolve("vm1/hang.img")));
  }

  private List<Path> leftovers() throws Exception {
    try (Stream<Path> paths = Files.walk(root)) {
      return paths.filter(p -> p.getFileName().toString().contains(".volumed-tmp-")).toList();
    }
  }
}

package dev.volumed.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.stream.testkit.TestSubscriber;
import akka.stream.testkit.javadsl.TestSink;
import dev.volumed.accounting.PoolLevel;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Level;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publisher: never waits, each watcher bounded on its own, drops told once; adoption published by the ledger. */
class PoolEventsTest {
  static final ActorTestKit testKit = ActorTestKit.create(LedgerTest.CONFIG);

  @TempDir
  Path dir;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aWatcherThatDoesNotReadLosesWhatDoesNotFitAndIsToldOnceAfterWhatItHad() {
    PoolEvents events = PoolEvents.start(testKit.system());
    TestSubscriber.Probe<PoolEvents.Delivery> slow = events.subscribe(pool -> true, 4)
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
    TestSubscriber.Probe<PoolEvents.Delivery> reading = events.subscribe(pool -> pool.equals("a"), 100)
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
    awaitWatchers(events, 2);
    for (int i = 0; i < 10; i++) {
      events.volume(PoolEvent.Action.CREATED, i % 2 == 0 ? "a" : "b", volume("v" + i));
    }
    // The one that reads gets its pool's five, none lost.
    reading.request(10);
    for (int i = 0; i < 10; i += 2) {
      assertEquals("v" + i, name(reading.expectNext()));
    }
    // The slow one had room for four; it gets them, then one overflow of six.
    slow.request(6);
    for (int i = 0; i < 4; i++) {
      assertEquals("v" + i, name(slow.expectNext()));
    }
    assertEquals(new PoolEvents.Overflow(6), slow.expectNext());
    // After that, new events come as usual, with no second overflow.
    events.level("b", new PoolLevel(0, 81, Level.WARN), Optional.of(Level.OK), "rose");
    assertInstanceOf(PoolEvent.LevelChanged.class, ((PoolEvents.Published) slow.expectNext()).event());
    slow.cancel();
    reading.cancel();
    awaitWatchers(events, 0);
  }

  @Test
  void endAllCompletesEveryWatchAfterWhatItAlreadyHas() {
    PoolEvents events = PoolEvents.start(testKit.system());
    TestSubscriber.Probe<PoolEvents.Delivery> watcher = events.subscribe(pool -> true, 10)
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
    awaitWatchers(events, 1);
    events.volume(PoolEvent.Action.DELETED, "a", volume("gone"));
    // Handed on to the watcher before it is ended (the hand-over is asynchronous).
    watcher.request(1);
    assertEquals("gone", name(watcher.expectNext()));
    events.endAll();
    watcher.request(1);
    watcher.expectComplete();
  }

  @Test
  void theLedgerPublishesTheImagesItAdoptsWhenItLoadsItsBooks() throws Exception {
    Path root = Files.createDirectories(dir.resolve("pool"));
    try (RandomAccessFile image = new RandomAccessFile(root.resolve("foreign.img").toFile(), "rw")) {
      image.setLength(1 << 20);
    }
    PoolEvents events = PoolEvents.start(testKit.system());
    TestSubscriber.Probe<PoolEvents.Delivery> watcher = events.subscribe(pool -> true, 10)
        .runWith(TestSink.probe(testKit.system().classicSystem()), testKit.system());
    awaitWatchers(events, 1);
    PoolSettings settings = new PoolSettings("adopting", root, OptionalLong.empty(), 0, 4.0, Allocation.SPARSE,
        FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"), Optional.empty(), Optional.empty());
    testKit.spawn(Ledger.create(settings, new PoolStore("adopting", root, new Formatter(Duration.ofMinutes(1))),
        SpaceProbe.of(root), Duration.ofHours(1), events));
    watcher.request(1);
    PoolEvent.VolumeChanged adopted = assertInstanceOf(PoolEvent.VolumeChanged.class,
        ((PoolEvents.Published) watcher.expectNext(scala.concurrent.duration.Duration.create(20, "s"))).event());
    assertEquals(PoolEvent.Action.ADOPTED, adopted.action());
    assertEquals("adopting", adopted.pool());
    assertEquals("foreign.img", adopted.volume().name());
    assertTrue(adopted.volume().adopted());
    watcher.cancel();
  }

  private static void awaitWatchers(PoolEvents events, int n) {
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals(n, events.watchers());
      return null;
    });
  }

  private static String name(PoolEvents.Delivery delivery) {
    return ((PoolEvent.VolumeChanged) ((PoolEvents.Published) delivery).event()).volume().name();
  }

  private static Volume volume(String name) {
    return new Volume(new VolumeSpec(name, 4096, FileSystemType.NONE, Optional.empty(), List.of(), Allocation.SPARSE),
        Instant.now(), 0, Volume.State.READY, false);
  }
}

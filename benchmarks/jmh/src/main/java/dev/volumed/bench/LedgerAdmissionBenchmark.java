package dev.volumed.bench;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import dev.volumed.accounting.Space;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.SpaceProbe;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import dev.volumed.model.Sizes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Admission decisions per second of one {@link Ledger} actor, asked by many concurrent askers.
 *
 * <p>Each asker is an actor that, like {@code CreateWorker}, sends {@link Ledger.Reserve} with a
 * message adapter as {@code replyTo} (the ledger watches that owner), keeps up to {@code window}
 * requests in flight, and counts the replies. One benchmark operation is one decision (one
 * {@code Reserve} answered); one invocation sends {@link #PER_INVOCATION} of them, split among
 * the askers, and waits for every reply.
 *
 * <ul>
 *   <li>{@link #reserve}: reservations stay in flight, so the books fill (a fresh, empty ledger
 *       per iteration).
 *   <li>{@link #reserveRelease}: each {@code Admitted} is followed by a {@code Release}, so the
 *       books stay small; this is also what invalidates the ledger's cached statvfs figures, so
 *       {@code probe=statvfs} reads the file system again before the next decision.
 * </ul>
 *
 * <p>Specs: {@code sparse-ext4} (10 GiB sparse ext4: rules 2 and 3, statvfs only when the cached
 * figures were invalidated) and {@code fallocate} (4 KiB fallocate ext4: rules 1 and 2, and the
 * ledger reads the probe on every decision). Probes: {@code fixed} (a lambda with fixed figures, 1
 * EiB total and free: the decision is pure arithmetic) or {@code statvfs}
 * ({@code SpaceProbe.of(poolPath)}, what the daemon uses).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class LedgerAdmissionBenchmark {

  /** Decisions per benchmark invocation, split evenly among the askers. */
  public static final int PER_INVOCATION = 16_384;

  @Param({"sparse-ext4", "fallocate"})
  public String spec;

  @Param({"fixed", "statvfs"})
  public String probe;

  /** Concurrent asker actors. */
  @Param({"16"})
  public int askers;

  /**
   * What answers the askers: {@code ledger}, or {@code echo}, a control actor that answers every
   * Reserve with Admitted at once: the ceiling the actor plumbing (askers, message adapters,
   * mailboxes, dispatcher) allows on this machine, with no ledger logic at all.
   */
  @Param({"ledger"})
  public String target;

  /** Requests each asker keeps in flight. */
  @Param({"1", "64"})
  public int window;

  private ActorSystem<Void> system;
  private Path tmp;
  private PoolSettings settings;
  private long size;
  private Allocation allocation;
  private SpaceProbe spaceProbe;

  private int iteration;
  private ActorRef<Ledger.Command> ledger;
  private List<ActorRef<Asker.Msg>> reserveOnly;
  private List<ActorRef<Asker.Msg>> reserveThenRelease;

  final LongAdder admitted = new LongAdder();
  final LongAdder refused = new LongAdder();
  final LongAdder existed = new LongAdder();

  @Setup(Level.Trial)
  public void startSystem() throws IOException {
    if (PER_INVOCATION % askers != 0) {
      throw new IllegalArgumentException("askers must divide " + PER_INVOCATION);
    }
    switch (spec) {
      case "sparse-ext4" -> {
        size = 10 * Sizes.GIB;
        allocation = Allocation.SPARSE;
      }
      case "fallocate" -> {
        size = 4 * Sizes.KIB;
        allocation = Allocation.FALLOCATE;
      }
      default -> throw new IllegalArgumentException("spec: sparse-ext4 or fallocate, not " + spec);
    }
    // Next to the project, so statvfs reads the same file system the daemon's pools would use.
    Path base = Path.of(System.getProperty("bench.tmp", System.getProperty("java.io.tmpdir")));
    tmp = Files.createTempDirectory(base, "ledger-bench-");
    Path poolPath = tmp.resolve("pool");
    settings = new PoolSettings("bench", poolPath, OptionalLong.empty(), 0.0, 1_000_000.0,
        Allocation.SPARSE, FileSystemType.EXT4, PosixFilePermissions.fromString("rw-------"),
        Optional.empty(), Optional.empty());
    spaceProbe = switch (probe) {
      case "fixed" -> {
        Space fixed = new Space(1L << 60, 1L << 60);
        yield () -> fixed;
      }
      case "statvfs" -> SpaceProbe.of(tmp);
      default -> throw new IllegalArgumentException("probe: fixed or statvfs, not " + probe);
    };
    system = ActorSystem.create(Behaviors.empty(), "ledger-bench");
  }

  @Setup(Level.Iteration)
  public void startLedger() throws Exception {
    iteration++;
    Path poolPath = settings.path();
    PoolStore store = new PoolStore("bench", poolPath, new Formatter(Duration.ofMinutes(1)));
    // The refresh timer must not fire inside a measurement: it re-reads statvfs and measures blocks.
    Behavior<Ledger.Command> behavior = switch (target) {
      case "ledger" -> Ledger.create(settings, store, spaceProbe, Duration.ofHours(1));
      case "echo" -> echo();
      default -> throw new IllegalArgumentException("target: ledger or echo, not " + target);
    };
    ledger = system.systemActorOf(behavior, "ledger-" + iteration, akka.actor.typed.Props.empty());
    // Wait until it has loaded its (empty) books.
    AskPattern.<Ledger.Command, Ledger.StatsReply>ask(ledger, Ledger.GetStats::new,
        Duration.ofSeconds(30), system.scheduler()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    reserveOnly = spawnAskers(false);
    reserveThenRelease = spawnAskers(true);
  }

  /** The control: admits everything, keeps no books, reads no probe. */
  private static Behavior<Ledger.Command> echo() {
    long[] next = {1};
    return Behaviors.receive(Ledger.Command.class)
        .onMessage(Ledger.Reserve.class, r -> {
          r.replyTo().tell(new Ledger.Admitted(next[0]++));
          return Behaviors.same();
        })
        .onMessage(Ledger.GetStats.class, g -> {
          g.replyTo().tell(new Ledger.PoolStats("echo", "", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
              new dev.volumed.accounting.PoolLevel(0, 0, dev.volumed.model.Level.OK), dev.volumed.model.Capabilities.ASSUMED));
          return Behaviors.same();
        })
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private List<ActorRef<Asker.Msg>> spawnAskers(boolean release) {
    return Stream.iterate(0, i -> i + 1).limit(askers)
        .map(i -> system.systemActorOf(
            Asker.create(ledger, "i" + iteration + "-" + (release ? "r" : "f") + i, size, allocation,
                window, release, this),
            "asker-" + iteration + (release ? "-r-" : "-f-") + i, akka.actor.typed.Props.empty()))
        .toList();
  }

  @TearDown(Level.Iteration)
  public void stopLedger() throws Exception {
    // The ledger first, and wait for it: were the askers stopped first, it would release (and log a
    // warning for) every reservation they hold, hundreds of thousands after a reserve run.
    system.classicSystem().stop(akka.actor.typed.javadsl.Adapter.toClassic(ledger));
    while (!system.classicSystem().actorSelection(akka.actor.typed.javadsl.Adapter.toClassic(ledger).path())
        .resolveOne(Duration.ofSeconds(1)).toCompletableFuture().handle((ref, failure) -> failure != null).get()) {
      Thread.sleep(10);
    }
    reserveOnly.forEach(a -> system.classicSystem().stop(akka.actor.typed.javadsl.Adapter.toClassic(a)));
    reserveThenRelease.forEach(a -> system.classicSystem().stop(akka.actor.typed.javadsl.Adapter.toClassic(a)));
  }

  @TearDown(Level.Trial)
  public void stopSystem() throws IOException {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    try (Stream<Path> all = Files.walk(tmp)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Decisions that were not {@code Admitted} (they would distort the figures): reported per op. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Outcomes {
    public long notAdmitted;
  }

  @Benchmark
  @OperationsPerInvocation(PER_INVOCATION)
  public void reserve(Outcomes outcomes) throws Exception {
    run(reserveOnly, outcomes);
  }

  @Benchmark
  @OperationsPerInvocation(PER_INVOCATION)
  public void reserveRelease(Outcomes outcomes) throws Exception {
    run(reserveThenRelease, outcomes);
  }

  private void run(List<ActorRef<Asker.Msg>> group, Outcomes outcomes) throws Exception {
    long before = refused.sum() + existed.sum();
    int each = PER_INVOCATION / group.size();
    CompletableFuture<?>[] done = new CompletableFuture<?>[group.size()];
    for (int i = 0; i < done.length; i++) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      done[i] = f;
      group.get(i).tell(new Asker.Go(each, f));
    }
    CompletableFuture.allOf(done).get(60, TimeUnit.SECONDS);
    outcomes.notAdmitted += refused.sum() + existed.sum() - before;
  }

  /** One asker: keeps {@code window} Reserves in flight through a message adapter, as a worker does. */
  static final class Asker {
    interface Msg {}

    record Go(int count, CompletableFuture<Void> done) implements Msg {}

    record Replied(Ledger.ReserveReply reply) implements Msg {}

    static Behavior<Msg> create(ActorRef<Ledger.Command> ledger, String prefix, long size,
        Allocation allocation, int window, boolean release, LedgerAdmissionBenchmark counters) {
      return Behaviors.setup(context -> {
        ActorRef<Ledger.ReserveReply> replyTo =
            context.messageAdapter(Ledger.ReserveReply.class, Replied::new);
        return new Asker(ledger, replyTo, prefix, size, allocation, window, release, counters).idle();
      });
    }

    private final ActorRef<Ledger.Command> ledger;
    private final ActorRef<Ledger.ReserveReply> replyTo;
    private final String prefix;
    private final long size;
    private final Allocation allocation;
    private final int window;
    private final boolean release;
    private final LedgerAdmissionBenchmark counters;
    /** Reserve-and-release reuses these names: never more than {@code window} in flight. */
    private final VolumeSpec[] cycle;
    private long seq;
    private int sent;
    private int answered;
    private int count;
    private CompletableFuture<Void> done;

    private Asker(ActorRef<Ledger.Command> ledger, ActorRef<Ledger.ReserveReply> replyTo, String prefix,
        long size, Allocation allocation, int window, boolean release, LedgerAdmissionBenchmark counters) {
      this.ledger = ledger;
      this.replyTo = replyTo;
      this.prefix = prefix;
      this.size = size;
      this.allocation = allocation;
      this.window = window;
      this.release = release;
      this.counters = counters;
      this.cycle = new VolumeSpec[release ? 4096 : 0];
      for (int i = 0; i < cycle.length; i++) {
        cycle[i] = spec(prefix + "/v" + i);
      }
    }

    private VolumeSpec spec(String name) {
      return new VolumeSpec(name, size, FileSystemType.EXT4, Optional.of("bench"), List.of(), allocation);
    }

    private Behavior<Msg> idle() {
      return Behaviors.receive(Msg.class)
          .onMessage(Go.class, go -> {
            count = go.count();
            done = go.done();
            sent = 0;
            answered = 0;
            int first = Math.min(window, count);
            for (int i = 0; i < first; i++) {
              sendNext();
            }
            return Behaviors.same();
          })
          .onMessage(Replied.class, replied -> {
            Ledger.ReserveReply reply = replied.reply();
            if (reply instanceof Ledger.Admitted admittedReply) {
              counters.admitted.increment();
              if (release) {
                ledger.tell(new Ledger.Release(admittedReply.reservationId()));
              }
            } else if (reply instanceof Ledger.Refused) {
              counters.refused.increment();
            } else {
              counters.existed.increment();
            }
            answered++;
            if (sent < count) {
              sendNext();
            } else if (answered == count) {
              done.complete(null);
            }
            return Behaviors.same();
          })
          .build();
    }

    private void sendNext() {
      long n = seq++;
      VolumeSpec s = release ? cycle[(int) (n % cycle.length)] : spec(prefix + "/v" + n);
      sent++;
      ledger.tell(new Ledger.Reserve(s, replyTo));
    }
  }
}

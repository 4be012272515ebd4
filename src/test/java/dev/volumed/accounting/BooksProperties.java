package dev.volumed.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.FormatOverhead;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The invariants of the books over random pools, file-system readings and histories of requests,
 * completions, releases, deletions and new readings ({@link Property}: many tries, a failing
 * history shrunk to a short one and reported with its seed).
 */
class BooksProperties {

  /** One thing that happens to a pool. */
  sealed interface Step permits Request, FillRequest, EdgeRequest, Complete, Release, Delete, Reading,
      TightReading {}

  /** A request (one volume, or an atomic batch): decided, and reserved if admitted. */
  record Request(List<VolumeSpec> specs) implements Step {}

  /**
   * One unformatted volume of what the stats say is still available for its allocation, plus
   * {@code delta} (-1, 0 or 1): admitted up to exactly that figure, refused one byte past it.
   */
  record FillRequest(Allocation allocation, long delta) implements Step {}

  /**
   * The file system is read with room for exactly what {@code spec} needs of it, plus {@code delta}
   * (-1, 0 or 1): its blocks (fallocate/full, rule 1) or its formatting (sparse, rule 3); then
   * {@code spec} is requested, and admitted iff delta >= 0 while the other rules let it through.
   */
  record EdgeRequest(VolumeSpec spec, long delta) implements Step {}

  /** The in-flight reservation at {@code pick} (mod their number) is published. */
  record Complete(int pick, double allocatedShare) implements Step {}

  /** The in-flight reservation at {@code pick} fails. */
  record Release(int pick) implements Step {}

  /** The published volume at {@code pick} is deleted. */
  record Delete(int pick) implements Step {}

  /** The file system is read again (blocks taken or given back meanwhile). */
  record Reading(Space space) implements Step {}

  /**
   * The file system is read again with just {@code slack} bytes free beyond the reserve and what
   * is in flight: the next requests meet rules 1 and 3 at their edges.
   */
  record TightReading(long slack) implements Step {}

  /** A pool: its configuration, first reading, the volumes found on disk, and what happens next. */
  record History(PoolLimits limits, Space space, List<VolumeSpec> onDisk, List<Step> steps) {}

  // the properties

  @Test
  void admittedRequestsKeepCommittedWithinUsableAndProvisionedWithinTheLimit() {
    Map<String, Integer> labels = Property.forAll(BooksProperties::history, BooksProperties::smaller,
        history -> {
          Pool pool = Pool.played(history); // checks both after every admission
          return pool.admitted > 0 && pool.refused > 0 ? "both" : pool.admitted > 0 ? "admitted only"
              : "refused only";
        });
    assertTrue(Property.percent(labels, "both") > 30, () -> "too few mixed histories: " + labels);
  }

  @Test
  void endingEveryReservationAndDeletingEveryVolumeEmptiesTheBooks() {
    Property.forAll(BooksProperties::history, BooksProperties::smaller, history -> {
      Pool pool = Pool.played(history);
      boolean publish = history.steps().size() % 2 == 0;
      while (!pool.inFlight.isEmpty()) {
        pool.play(publish ? new Complete(0, 0.5) : new Release(0)); // checks the sums at each step
      }
      assertEquals(0, pool.books.inFlightBlocks());
      assertEquals(0, pool.books.inFlightOverhead());
      while (!pool.published.isEmpty()) {
        pool.play(new Delete(0));
      }
      assertEquals(List.of(0L, 0L, 0L),
          List.of(pool.books.committed(), pool.books.provisioned(), pool.books.allocated()));
      return "ok";
    });
  }

  /** A history, then an atomic batch of 1 to 6 volumes decided on its last reading. */
  record BatchCase(History history, List<VolumeSpec> batch) {}

  @Test
  void atomicBatchIsAdmittedIffItsMembersAsOneRequestPassTheRules() {
    Map<String, Integer> labels = Property.forAll(
        random -> new BatchCase(history(random), specs(random, 1 + random.nextInt(6))),
        c -> {
          List<BatchCase> out = new ArrayList<>();
          smaller(c.history()).forEach(h -> out.add(new BatchCase(h, c.batch())));
          if (c.batch().size() > 1) {
            Property.withoutOne(c.batch()).forEach(b -> out.add(new BatchCase(c.history(), b)));
          }
          return out;
        },
        c -> {
          Pool pool = Pool.played(c.history());
          Decision decision = pool.books.decide(c.batch(), pool.space);
          Optional<ErrorCode> expected = reference(pool.books, pool.space, c.batch());
          assertEquals(expected, decision instanceof Decision.Refuse r ? Optional.of(r.code()) : Optional.empty(),
              () -> "decided " + decision);
          if (c.batch().size() == 1) {
            assertEquals(pool.books.decide(c.batch().get(0), pool.space), decision, "batch of one vs alone");
          }
          return expected.map(ErrorCode::name).orElse("admitted");
        });
    for (String label : List.of("admitted", "OVERCOMMIT_LIMIT", "INSUFFICIENT_SPACE")) {
      assertTrue(Property.percent(labels, label) > 5, () -> "too few " + label + ": " + labels);
    }
  }

  @Test
  void figuresAreNeverNegative() {
    Property.forAll(BooksProperties::history, BooksProperties::smaller, history -> {
      Pool pool = Pool.played(history); // checks them after every step
      return "ok";
    });
  }

  /**
   * The rules in exact arithmetic on the batch's sums, as DESIGN.md states them (committed + S <=
   * usable, not S <= usable - committed); C, R, usable and the limit as the figures compute them.
   */
  static Optional<ErrorCode> reference(Books books, Space space, List<VolumeSpec> batch) {
    BigInteger blocks = BigInteger.ZERO;
    BigInteger total = BigInteger.ZERO;
    BigInteger overhead = BigInteger.ZERO;
    for (VolumeSpec spec : batch) {
      BigInteger size = BigInteger.valueOf(spec.size());
      total = total.add(size);
      if (spec.allocation().reservesBlocks()) {
        blocks = blocks.add(size);
      } else {
        overhead = overhead.add(BigInteger.valueOf(FormatOverhead.estimate(spec)));
      }
    }
    Figures f = books.figures(space);
    BigInteger reserved = BigInteger.valueOf(f.reserved());
    BigInteger fsFree = BigInteger.valueOf(space.free()).subtract(BigInteger.valueOf(books.inFlightBlocks()));
    if (blocks.signum() > 0
        && (big(books.committed()).add(blocks).compareTo(big(f.usable())) > 0
            || blocks.compareTo(fsFree.subtract(reserved)) > 0)) {
      return Optional.of(ErrorCode.INSUFFICIENT_SPACE);
    }
    if (big(books.provisioned()).add(total).compareTo(big(f.limit())) > 0) {
      return Optional.of(ErrorCode.OVERCOMMIT_LIMIT);
    }
    if (overhead.signum() > 0
        && overhead.compareTo(fsFree.subtract(reserved).subtract(big(books.inFlightOverhead()))) > 0) {
      return Optional.of(ErrorCode.INSUFFICIENT_SPACE);
    }
    return Optional.empty();
  }

  private static BigInteger big(long value) {
    return BigInteger.valueOf(value);
  }

  /** Books played through a history beside the volumes they must add up to. */
  static final class Pool {
    final Books books;
    final List<VolumeSpec> inFlight = new ArrayList<>();
    final List<Volume> published = new ArrayList<>();
    Space space;
    int admitted;
    int refused;

    private Pool(History history) {
      this.books = new Books(history.limits());
      this.space = history.space();
      for (VolumeSpec spec : history.onDisk()) {
        Volume volume = volume(spec, spec.size() / 2);
        books.add(volume);
        published.add(volume);
      }
      check();
    }

    static Pool played(History history) {
      Pool pool = new Pool(history);
      history.steps().forEach(pool::play);
      return pool;
    }

    void play(Step step) {
      if (step instanceof Request r) {
        request(r.specs());
      } else if (step instanceof FillRequest fill) {
        fill(fill);
      } else if (step instanceof EdgeRequest edge) {
        edge(edge);
      } else if (step instanceof Complete c && !inFlight.isEmpty()) {
        VolumeSpec spec = inFlight.remove(c.pick() % inFlight.size());
        Volume volume = volume(spec, (long) (spec.size() * c.allocatedShare()));
        books.complete(spec, volume.allocatedBytes());
        published.add(volume);
      } else if (step instanceof Release r && !inFlight.isEmpty()) {
        books.release(inFlight.remove(r.pick() % inFlight.size()));
      } else if (step instanceof Delete d && !published.isEmpty()) {
        books.remove(published.remove(d.pick() % published.size()));
      } else if (step instanceof Reading r) {
        space = r.space();
      } else if (step instanceof TightReading t) {
        long edge = books.figures(space).reserved() + books.inFlightBlocks() + books.inFlightOverhead();
        space = new Space(space.total(), Math.min(space.total(), edge + t.slack()));
      }
      check();
    }

    private boolean request(List<VolumeSpec> specs) {
      Decision decision = specs.size() == 1 ? books.decide(specs.get(0), space) : books.decide(specs, space);
      if (decision != Decision.Admit.INSTANCE) {
        refused++;
        return false;
      }
      admitted++;
      for (VolumeSpec spec : specs) {
        books.reserve(spec);
        inFlight.add(spec);
      }
      Figures figures = books.figures(space);
      if (specs.stream().anyMatch(s -> s.allocation().reservesBlocks())) {
        assertTrue(books.committed() <= figures.usable(),
            () -> "committed " + books.committed() + " > usable " + figures.usable() + " after " + specs);
      }
      assertTrue(books.provisioned() <= figures.limit(),
          () -> "provisioned " + books.provisioned() + " > limit " + figures.limit() + " after " + specs);
      return true;
    }

    private void fill(FillRequest fill) {
      Figures figures = books.figures(space);
      long available = fill.allocation().reservesBlocks()
          ? figures.availableForFallocate() : figures.availableForSparse();
      long size = available + fill.delta();
      if (size < 1 || size == Long.MAX_VALUE) {
        return;
      }
      boolean admittedNow = request(List.of(
          new VolumeSpec("fill", size, FileSystemType.NONE, Optional.empty(), List.of(), fill.allocation())));
      assertEquals(fill.delta() <= 0, admittedNow,
          () -> size + " bytes " + fill.allocation() + " with " + available + " available");
    }

    private void edge(EdgeRequest edge) {
      VolumeSpec spec = edge.spec();
      boolean blocks = spec.allocation().reservesBlocks();
      Figures before = books.figures(space);
      long need = blocks ? spec.size() : books.inFlightOverhead() + FormatOverhead.estimate(spec);
      BigInteger free = big(before.reserved()).add(big(books.inFlightBlocks())).add(big(need)).add(big(edge.delta()));
      if (free.signum() < 0 || free.compareTo(big(space.total())) > 0 || (!blocks && need == books.inFlightOverhead())) {
        return; // no such reading, or nothing to format
      }
      space = new Space(space.total(), free.longValueExact());
      Figures f = books.figures(space);
      boolean othersPass = big(books.provisioned()).add(big(spec.size())).compareTo(big(f.limit())) <= 0
          && (!blocks || big(books.committed()).add(big(spec.size())).compareTo(big(f.usable())) <= 0);
      boolean admittedNow = request(List.of(spec));
      assertEquals(othersPass && edge.delta() >= 0, admittedNow,
          () -> spec + " with " + edge.delta() + " bytes beyond its room on " + space);
    }

    /** The books add up to the volumes, and no figure is negative. */
    private void check() {
      long committed = 0;
      long provisioned = 0;
      long allocated = 0;
      long inFlightBlocks = 0;
      long inFlightOverhead = 0;
      for (Volume volume : published) {
        provisioned += volume.spec().size();
        committed += volume.spec().allocation().reservesBlocks() ? volume.spec().size() : 0;
        allocated += volume.allocatedBytes();
      }
      for (VolumeSpec spec : inFlight) {
        provisioned += spec.size();
        if (spec.allocation().reservesBlocks()) {
          committed += spec.size();
          inFlightBlocks += spec.size();
        } else {
          inFlightOverhead += FormatOverhead.estimate(spec);
        }
      }
      List<Long> expected = List.of(committed, provisioned, allocated, inFlightBlocks, inFlightOverhead);
      assertEquals(expected, List.of(books.committed(), books.provisioned(), books.allocated(),
          books.inFlightBlocks(), books.inFlightOverhead()),
          "committed, provisioned, allocated, in-flight blocks, in-flight overhead");
      assertTrue(expected.stream().allMatch(figure -> figure >= 0), () -> "negative: " + expected);
      Figures f = books.figures(space);
      for (long figure : new long[] {f.capacity(), f.reserved(), f.usable(), f.limit(),
          f.availableForFallocate(), f.availableForSparse()}) {
        assertTrue(figure >= 0, () -> "negative figure in " + f);
      }
      assertTrue(f.reserved() <= f.capacity() && f.usable() <= f.limit(), () -> f.toString());
    }
  }

  // generators

  static History history(SplittableRandom r) {
    List<VolumeSpec> onDisk = new ArrayList<>();
    for (int i = r.nextInt(5); i > 0; i--) {
      onDisk.add(new VolumeSpec("old" + i, r.nextLong(1, 1L << 36), fs(r), Optional.empty(), List.of(),
          allocation(r)));
    }
    List<Step> steps = new ArrayList<>();
    for (int i = r.nextInt(41); i > 0; i--) {
      steps.add(step(r));
    }
    return new History(limits(r), space(r), List.copyOf(onDisk), List.copyOf(steps));
  }

  /** Shorter histories: one step left out, or one volume on disk fewer. */
  static List<History> smaller(History h) {
    List<History> out = new ArrayList<>();
    Property.withoutOne(h.steps()).forEach(s -> out.add(new History(h.limits(), h.space(), h.onDisk(), s)));
    Property.withoutOne(h.onDisk()).forEach(d -> out.add(new History(h.limits(), h.space(), d, h.steps())));
    return out;
  }

  static PoolLimits limits(SplittableRandom r) {
    OptionalLong capacity = r.nextInt(3) == 0 ? OptionalLong.empty() : OptionalLong.of(r.nextLong(0, 1L << 44));
    double reservedPercent = r.nextInt(4) == 0 ? 0 : Math.round(r.nextDouble(0, 99.99) * 100) / 100.0;
    double ratio = r.nextInt(4) == 0 ? 1 : Math.round(r.nextDouble(1, 20) * 100) / 100.0;
    return new PoolLimits("p", capacity, reservedPercent, ratio);
  }

  static Space space(SplittableRandom r) {
    long total = r.nextBoolean() ? r.nextLong(1L << 24, 1L << 38) : r.nextLong(1L << 20, 1L << 44);
    return new Space(total, (long) (total * r.nextDouble()));
  }

  static Step step(SplittableRandom r) {
    int roll = r.nextInt(17);
    if (roll < 5) {
      return new Request(specs(r, 1));
    } else if (roll < 6) {
      return new Request(specs(r, 2 + r.nextInt(5)));
    } else if (roll < 7) {
      return new FillRequest(allocation(r), r.nextInt(3) - 1);
    } else if (roll < 9) {
      return new Complete(r.nextInt(100), r.nextDouble());
    } else if (roll < 11) {
      return new Release(r.nextInt(100));
    } else if (roll < 12) {
      return new Delete(r.nextInt(100));
    } else if (roll < 14) {
      return new TightReading(r.nextBoolean() ? r.nextLong(0, 128L << 20) : r.nextLong(0, 1L << 34));
    } else if (roll < 16) {
      return new EdgeRequest(specs(r, 1).get(0), r.nextInt(3) - 1);
    }
    return new Reading(space(r));
  }

  static List<VolumeSpec> specs(SplittableRandom r, int count) {
    List<VolumeSpec> specs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int roll = r.nextInt(10);
      long size = roll < 6 ? r.nextLong(1, 1L << 34)
          : roll < 9 ? r.nextLong(1, 1L << 42)
          : r.nextBoolean() ? Long.MAX_VALUE : r.nextLong(Long.MAX_VALUE / 2, Long.MAX_VALUE);
      specs.add(new VolumeSpec("v" + i, size, fs(r), Optional.empty(), List.of(), allocation(r)));
    }
    return List.copyOf(specs);
  }

  static FileSystemType fs(SplittableRandom r) {
    FileSystemType[] all = FileSystemType.values();
    return all[r.nextInt(all.length)];
  }

  static Allocation allocation(SplittableRandom r) {
    Allocation[] all = Allocation.values();
    return all[r.nextInt(all.length)];
  }

  static Volume volume(VolumeSpec spec, long allocatedBytes) {
    return new Volume(spec, Instant.EPOCH, allocatedBytes, Volume.State.READY, false);
  }
}

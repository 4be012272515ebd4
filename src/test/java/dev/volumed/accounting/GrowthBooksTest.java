package dev.volumed.accounting;

import static dev.volumed.accounting.BooksTest.GIB;
import static dev.volumed.accounting.BooksTest.PLENTY;
import static dev.volumed.accounting.BooksTest.assertAdmitted;
import static dev.volumed.accounting.BooksTest.assertBooks;
import static dev.volumed.accounting.BooksTest.books;
import static dev.volumed.accounting.BooksTest.fallocate;
import static dev.volumed.accounting.BooksTest.full;
import static dev.volumed.accounting.BooksTest.refusal;
import static dev.volumed.accounting.BooksTest.sparseRaw;
import static dev.volumed.accounting.BooksTest.volume;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeSpec;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Growing a volume: only the growth is decided (rule 2; rule 1 too for fallocate/full), and the books move with it. */
class GrowthBooksTest {

  @Test
  void sparseGrowthIsDecidedByTheOvercommitLimitAloneAtItsBoundary() {
    Books books = books(OptionalLong.of(10 * GIB), 0, 2.0); // limit 20 GiB
    VolumeSpec a = sparseRaw("a", 15 * GIB);
    books.add(volume(a, 0));
    // Rule 1 does not apply to sparse: the file system's free space does not matter.
    Space nearlyFull = new Space(10 * GIB, 0);
    assertAdmitted(books.decide(Demand.growth(a, 20 * GIB), nearlyFull));
    Decision.Refuse refused = refusal(books.decide(Demand.growth(a, 20 * GIB + 4096), nearlyFull));
    assertEquals(ErrorCode.OVERCOMMIT_LIMIT, refused.code());
  }

  @Test
  void fallocateGrowthNeedsItsBlocksByRuleOne() {
    Books books = books(OptionalLong.of(10 * GIB), 0, 4.0);
    VolumeSpec a = fallocate("a", 6 * GIB);
    books.add(volume(a, 6 * GIB));
    assertAdmitted(books.decide(Demand.growth(a, 10 * GIB), PLENTY));
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, refusal(books.decide(Demand.growth(a, 10 * GIB + 4096), PLENTY)).code());
    // ... and the second half: the growth must fit in filesystemFree - R.
    Space free = new Space(100 * GIB, GIB);
    assertAdmitted(books.decide(Demand.growth(a, 7 * GIB), free));
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, refusal(books.decide(Demand.growth(a, 7 * GIB + 4096), free)).code());
  }

  @Test
  void fullGrowthIsRefusedByRuleTwoWhenRuleOneFits() {
    Books books = books(OptionalLong.of(10 * GIB), 0, 1.0);
    books.add(volume(sparseRaw("s", 8 * GIB), 0));
    VolumeSpec f = full("f", GIB);
    books.add(volume(f, GIB));
    // committed 1 GiB + 2 GiB fits usable, but provisioned 9 + 2 > 10.
    assertEquals(ErrorCode.OVERCOMMIT_LIMIT, refusal(books.decide(Demand.growth(f, 3 * GIB), PLENTY)).code());
    assertAdmitted(books.decide(Demand.growth(f, 2 * GIB), PLENTY));
  }

  @Test
  void anEqualSizeAsksForNothing() {
    Books books = books(OptionalLong.of(GIB), 0, 1.0);
    VolumeSpec a = full("a", GIB);
    books.add(volume(a, GIB));
    assertAdmitted(books.decide(Demand.growth(a, GIB), new Space(GIB, 0)));
  }

  @Test
  void aGrowthInFlightCountsUntilItLandsAndIsGivenBackWhenItFails() {
    Books books = books(OptionalLong.of(100 * GIB), 0, 4.0);
    VolumeSpec a = fallocate("a", 2 * GIB);
    books.add(volume(a, 2 * GIB));
    books.reserveGrowth(a, 5 * GIB);
    assertBooks(books, 5 * GIB, 5 * GIB, 2 * GIB, 3 * GIB, 0);
    // The in-flight blocks are taken off the next reading's free space.
    assertEquals(100 * GIB - 3 * GIB, books.figures(hundredFree()).filesystemFree());
    books.releaseGrowth(a, 5 * GIB);
    assertBooks(books, 2 * GIB, 2 * GIB, 2 * GIB, 0, 0);

    books.reserveGrowth(a, 5 * GIB);
    books.landGrowth(a, 5 * GIB, 2 * GIB, 5 * GIB);
    assertBooks(books, 5 * GIB, 5 * GIB, 5 * GIB, 0, 0);
  }

  @Test
  void aSparseGrowthMovesOnlyProvisioned() {
    Books books = books(OptionalLong.of(100 * GIB), 0, 4.0);
    VolumeSpec a = sparseRaw("a", GIB);
    books.add(volume(a, 4096));
    books.reserveGrowth(a, 10 * GIB);
    assertBooks(books, 0, 10 * GIB, 4096, 0, 0);
    books.landGrowth(a, 10 * GIB, 4096, 8192);
    assertBooks(books, 0, 10 * GIB, 8192, 0, 0);
  }

  private static Space hundredFree() {
    return new Space(100 * GIB, 100 * GIB);
  }
}

package dev.volumed.accounting;

import static dev.volumed.accounting.BooksTest.GIB;
import static dev.volumed.accounting.BooksTest.PLENTY;
import static dev.volumed.accounting.BooksTest.assertAdmitted;
import static dev.volumed.accounting.BooksTest.assertBooks;
import static dev.volumed.accounting.BooksTest.assertRefused;
import static dev.volumed.accounting.BooksTest.books;
import static dev.volumed.accounting.BooksTest.fallocate;
import static dev.volumed.accounting.BooksTest.sparseRaw;
import static dev.volumed.accounting.BooksTest.volume;

import dev.volumed.model.ErrorCode;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Rule 1 for preallocate, at its boundaries, and what the books hold before, during and after. */
class PreallocationBooksTest {

  @Test
  void theSizeJoinsCommittedUpToUsableExactlyThenOneByteMoreIsRefused() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 4.0);
    books.add(volume(fallocate("a", 5 * GIB), 5 * GIB));
    books.add(volume(sparseRaw("b", 3 * GIB), GIB));
    books.add(volume(sparseRaw("c", 3 * GIB + 1), 0));
    assertAdmitted(books.decide(new Preallocation("b", 3 * GIB, GIB), PLENTY));
    assertRefused(books.decide(new Preallocation("c", 3 * GIB + 1, 0), PLENTY), ErrorCode.INSUFFICIENT_SPACE,
        "preallocating volume c commits its 3221225473 bytes but pool p has only 3221225472 of 8589934592 usable"
            + " bytes not yet committed; leave it sparse or free space");
  }

  @Test
  void onlyTheBlocksItLacksMustBeFreeBeyondTheReserve() {
    Books books = books(OptionalLong.empty(), 10, 4.0); // C = 100 GiB, R = 10 GiB
    Space space = new Space(100 * GIB, 14 * GIB);
    books.add(volume(sparseRaw("v", 8 * GIB), 4 * GIB));
    assertAdmitted(books.decide(new Preallocation("v", 8 * GIB, 4 * GIB), space));
    assertRefused(books.decide(new Preallocation("v", 8 * GIB, 4 * GIB - 1), space), ErrorCode.INSUFFICIENT_SPACE,
        "preallocating volume v needs 4294967297 more bytes on disk but the file system of pool p has only"
            + " 4294967296 free beyond the 10737418240 reserved; leave it sparse or free space");
  }

  @Test
  void theOvercommitLimitDoesNotApplyNothingNewIsProvisioned() {
    Books books = books(OptionalLong.of(4 * GIB), 0, 1.0);
    books.add(volume(sparseRaw("v", 2 * GIB), 0));
    books.add(volume(sparseRaw("w", 2 * GIB), 0)); // provisioned = limit
    assertAdmitted(books.decide(new Preallocation("v", 2 * GIB, 0), PLENTY));
  }

  @Test
  void reservedThenCompletedStaysCommittedReleasedLeavesAsBefore() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 4.0);
    books.add(volume(sparseRaw("v", 4 * GIB), GIB));
    Preallocation p = new Preallocation("v", 4 * GIB, GIB);
    books.reserve(p);
    assertBooks(books, 4 * GIB, 4 * GIB, GIB, 3 * GIB, 0);
    books.release(p);
    assertBooks(books, 0, 4 * GIB, GIB, 0, 0);
    books.reserve(p);
    books.complete(p);
    assertBooks(books, 4 * GIB, 4 * GIB, GIB, 0, 0);
  }

  @Test
  void anImageWithMoreBlocksThanItsSizeNeedsNothingMore() {
    assertAdmitted(books(OptionalLong.of(8 * GIB), 0, 4.0).decide(new Preallocation("v", GIB, GIB + 4096),
        new Space(8 * GIB, 0)));
  }
}

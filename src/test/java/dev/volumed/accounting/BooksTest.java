package dev.volumed.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.FormatOverhead;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Each admission rule of the books at its boundary: what exactly fits, and one byte more. */
class BooksTest {
  static final long GIB = 1L << 30;
  static final Space PLENTY = new Space(1L << 50, 1L << 50);

  // rule 1, first half: committed + S <= usable

  @Test
  void fallocateAndFullFillUsableCapacityExactlyThenRefuseOneByteMore() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 2.0);
    admitAndReserve(books, fallocate("a", 5 * GIB), PLENTY);
    admitAndReserve(books, full("b", 2 * GIB), PLENTY);
    assertAdmitted(books.decide(fallocate("c", GIB), PLENTY));
    assertRefused(books.decide(full("c", GIB + 1), PLENTY), ErrorCode.INSUFFICIENT_SPACE,
        "volume c needs 1073741825 bytes allocated on disk but pool p has only 1073741824 of"
            + " 8589934592 usable bytes not yet committed; use allocation \"sparse\", a smaller size,"
            + " or free space");
  }

  @Test
  void reservedPercentOfCapacityIsNotUsableForFallocate() {
    Books books = books(OptionalLong.of(10 * GIB), 10, 2.0);
    assertAdmitted(books.decide(fallocate("a", 9 * GIB), PLENTY));
    assertRefused(books.decide(fallocate("a", 9 * GIB + 1), PLENTY), ErrorCode.INSUFFICIENT_SPACE,
        "volume a needs 9663676417 bytes allocated on disk but pool p has only 9663676416 of"
            + " 9663676416 usable bytes not yet committed; use allocation \"sparse\", a smaller size,"
            + " or free space");
  }

  @Test
  void reserveIsRoundedUpToAWholeByte() {
    Books books = books(OptionalLong.of(1001), 10, 2.0); // R = ceil(100.1) = 101, usable 900
    Figures figures = books.figures(PLENTY);
    assertEquals(101, figures.reserved());
    assertEquals(900, figures.usable());
    assertAdmitted(books.decide(fallocate("a", 900), PLENTY));
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, refusal(books.decide(fallocate("a", 901), PLENTY)).code());
  }

  // rule 1, second half: S <= filesystemFree - R

  @Test
  void fallocateMustFitInFileSystemFreeSpaceBeyondTheReserve() {
    Books books = books(OptionalLong.empty(), 1, 1.0); // C = 100 GiB, R = 1 GiB
    Space space = new Space(100 * GIB, 11 * GIB);
    assertAdmitted(books.decide(fallocate("a", 10 * GIB), space));
    assertRefused(books.decide(fallocate("a", 10 * GIB + 1), space), ErrorCode.INSUFFICIENT_SPACE,
        "volume a needs 10737418241 bytes allocated on disk but the file system of pool p has only"
            + " 10737418240 free beyond the 1073741824 reserved; use allocation \"sparse\", a smaller"
            + " size, or free space");
  }

  @Test
  void inFlightFallocateReservationsAreSubtractedFromFileSystemFree() {
    Books books = books(OptionalLong.empty(), 0, 1.0);
    Space space = new Space(100 * GIB, 10 * GIB);
    VolumeSpec first = fallocate("a", 6 * GIB);
    admitAndReserve(books, first, space);
    // The same reading: the first image has not taken its blocks yet.
    assertEquals(4 * GIB, books.figures(space).filesystemFree());
    assertAdmitted(books.decide(fallocate("b", 4 * GIB), space));
    assertRefused(books.decide(fallocate("b", 4 * GIB + 1), space), ErrorCode.INSUFFICIENT_SPACE,
        "volume b needs 4294967297 bytes allocated on disk but the file system of pool p has only"
            + " 4294967296 free beyond the 0 reserved; use allocation \"sparse\", a smaller size, or"
            + " free space");
    books.complete(first, 6 * GIB);
    assertEquals(0, books.inFlightBlocks());
    assertEquals(10 * GIB, books.figures(space).filesystemFree());
  }

  @Test
  void fallocateWithoutFileSystemRoomIsInsufficientSpaceEvenPastTheOvercommitLimit() {
    Books books = books(OptionalLong.empty(), 0, 1.0);
    Space space = new Space(100 * GIB, GIB);
    admitAndReserve(books, sparseRaw("s", 99 * GIB), space);
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, refusal(books.decide(fallocate("a", 2 * GIB), space)).code());
  }

  @Test
  void fallocateFailingPhysicalRoomAndOvercommitIsRefusedForPhysicalRoomFirst() {
    Books books = books(OptionalLong.of(4 * GIB), 0, 1.0);
    assertEquals(ErrorCode.INSUFFICIENT_SPACE,
        refusal(books.decide(fallocate("a", 4 * GIB + 1), PLENTY)).code());
  }

  // rule 2: provisioned + S <= usable x ratio

  @Test
  void sparseVolumesMayProvisionUpToUsableTimesTheRatioExactly() {
    Books books = books(OptionalLong.of(4 * GIB), 0, 2.0);
    admitAndReserve(books, sparseRaw("a", 5 * GIB), PLENTY);
    assertAdmitted(books.decide(sparseRaw("b", 3 * GIB), PLENTY));
    assertRefused(books.decide(sparseRaw("b", 3 * GIB + 1), PLENTY), ErrorCode.OVERCOMMIT_LIMIT,
        "volume b of 3221225473 bytes would provision pool p beyond its limit of 8589934592 bytes"
            + " (4294967296 x 2.00); 3221225472 bytes can still be provisioned");
  }

  @Test
  void fallocateVolumesCountTowardTheOvercommitLimit() {
    Books books = books(OptionalLong.of(4 * GIB), 0, 1.0);
    admitAndReserve(books, sparseRaw("s", 3 * GIB), PLENTY);
    assertAdmitted(books.decide(fallocate("a", GIB), PLENTY));
    // Rule 1 lets it through (committed 0 + 1 GiB + 1 <= 4 GiB); rule 2 does not.
    assertEquals(ErrorCode.OVERCOMMIT_LIMIT, refusal(books.decide(fallocate("a", GIB + 1), PLENTY)).code());
    admitAndReserve(books, fallocate("a", GIB), PLENTY);
    assertEquals(ErrorCode.OVERCOMMIT_LIMIT, refusal(books.decide(sparseRaw("b", 1), PLENTY)).code());
  }

  @Test
  void overcommitLimitUsesUsableCapacityAfterTheReserve() {
    Books books = books(OptionalLong.of(10 * GIB), 10, 1.5); // 9 GiB x 1.5 = 13.5 GiB
    assertEquals(13 * GIB + GIB / 2, books.figures(PLENTY).limit());
    assertAdmitted(books.decide(sparseRaw("a", 13 * GIB + GIB / 2), PLENTY));
    assertRefused(books.decide(sparseRaw("a", 13 * GIB + GIB / 2 + 1), PLENTY), ErrorCode.OVERCOMMIT_LIMIT,
        "volume a of 14495514625 bytes would provision pool p beyond its limit of 14495514624 bytes"
            + " (9663676416 x 1.50); 14495514624 bytes can still be provisioned");
  }

  @Test
  void hugeSparseRequestCannotWrapTheProvisionedSumAround() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 1.0);
    admitAndReserve(books, sparseRaw("a", GIB), PLENTY);
    assertEquals(ErrorCode.OVERCOMMIT_LIMIT,
        refusal(books.decide(sparseRaw("b", Long.MAX_VALUE), PLENTY)).code());
    assertEquals(GIB, books.provisioned());
  }

  // rule 3: a sparse volume's formatting overhead fits in filesystemFree - R

  @Test
  void sparseFormattingOverheadFitsExactlyThenRefusesOneByteLess() {
    VolumeSpec spec = sparseExt4("a", 10 * GIB);
    long overhead = FormatOverhead.estimate(spec);
    Books books = books(OptionalLong.empty(), 0, 1.0);
    assertAdmitted(books.decide(spec, new Space(100 * GIB, overhead)));
    assertRefused(books.decide(spec, new Space(100 * GIB, overhead - 1)), ErrorCode.INSUFFICIENT_SPACE,
        "formatting volume a writes up to " + overhead + " bytes but the file system of pool p has"
            + " only " + (overhead - 1) + " free beyond the 0 reserved; free space on it first");
  }

  @Test
  void formattingOverheadOfSparseReservationsInFlightCounts() {
    VolumeSpec first = sparseExt4("a", 10 * GIB);
    VolumeSpec second = sparseExt4("b", 10 * GIB);
    long overhead = FormatOverhead.estimate(first);
    Books books = books(OptionalLong.empty(), 0, 1.0);
    Space twice = new Space(100 * GIB, 2 * overhead);
    admitAndReserve(books, first, twice);
    assertEquals(overhead, books.inFlightOverhead());
    assertAdmitted(books.decide(second, twice));
    assertEquals(ErrorCode.INSUFFICIENT_SPACE,
        refusal(books.decide(second, new Space(100 * GIB, 2 * overhead - 1))).code());
    books.complete(first, overhead);
    assertEquals(0, books.inFlightOverhead());
  }

  @Test
  void formattingOverheadMustFitBeyondTheReserveAndTheBlocksInFlight() {
    VolumeSpec spec = sparseExt4("a", 10 * GIB);
    long overhead = FormatOverhead.estimate(spec);
    Books books = books(OptionalLong.empty(), 1, 1.0); // R = 1 GiB
    Space space = new Space(100 * GIB, 2 * GIB + overhead);
    admitAndReserve(books, fallocate("f", GIB), space);
    assertAdmitted(books.decide(spec, space));
    assertRefused(books.decide(spec, new Space(100 * GIB, 2 * GIB + overhead - 1)),
        ErrorCode.INSUFFICIENT_SPACE, "formatting volume a writes up to " + overhead + " bytes but the"
            + " file system of pool p has only " + (overhead - 1) + " free beyond the 1073741824"
            + " reserved; free space on it first");
  }

  @Test
  void unformattedSparseVolumeWritesNothingSoNeedsNoFreeSpace() {
    Books books = books(OptionalLong.empty(), 0, 1.0);
    assertAdmitted(books.decide(sparseRaw("a", GIB), new Space(100 * GIB, 0)));
  }

  // atomic batches: the sums of their volumes, as one request

  @Test
  void batchOfFallocateVolumesIsDecidedOnTheSumOfTheirSizes() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 2.0);
    assertAdmitted(books.decide(List.of(fallocate("a", 5 * GIB), full("b", 3 * GIB)), PLENTY));
    assertRefused(books.decide(List.of(fallocate("a", 5 * GIB), full("b", 3 * GIB + 1)), PLENTY),
        ErrorCode.INSUFFICIENT_SPACE, "batch of 2 volumes needs 8589934593 bytes allocated on disk but"
            + " pool p has only 8589934592 of 8589934592 usable bytes not yet committed; use allocation"
            + " \"sparse\", a smaller size, or free space");
  }

  @Test
  void batchIsDecidedOnTheSumOfItsFileSystemNeeds() {
    Books books = books(OptionalLong.empty(), 0, 1.0);
    Space space = new Space(100 * GIB, 6 * GIB);
    assertAdmitted(books.decide(List.of(fallocate("a", 3 * GIB), fallocate("b", 3 * GIB)), space));
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, refusal(books.decide(
        List.of(fallocate("a", 3 * GIB), fallocate("b", 3 * GIB + 1)), space)).code());
  }

  @Test
  void batchIsDecidedOnTheSumOfAllItsSizesAgainstTheOvercommitLimit() {
    Books books = books(OptionalLong.of(4 * GIB), 0, 2.0);
    assertAdmitted(books.decide(List.of(sparseRaw("a", 5 * GIB), fallocate("b", 3 * GIB)), PLENTY));
    assertRefused(books.decide(List.of(sparseRaw("a", 5 * GIB + 1), fallocate("b", 3 * GIB)), PLENTY),
        ErrorCode.OVERCOMMIT_LIMIT, "batch of 2 volumes of 8589934593 bytes would provision pool p"
            + " beyond its limit of 8589934592 bytes (4294967296 x 2.00); 8589934592 bytes can still be"
            + " provisioned");
  }

  @Test
  void batchIsDecidedOnTheSumOfItsFormattingOverheads() {
    VolumeSpec a = sparseExt4("a", 10 * GIB);
    VolumeSpec b = sparseExt4("b", 20 * GIB);
    long both = FormatOverhead.estimate(a) + FormatOverhead.estimate(b);
    Books books = books(OptionalLong.empty(), 0, 1.0);
    assertAdmitted(books.decide(List.of(a, b), new Space(100 * GIB, both)));
    assertRefused(books.decide(List.of(a, b), new Space(100 * GIB, both - 1)), ErrorCode.INSUFFICIENT_SPACE,
        "formatting batch of 2 volumes writes up to " + both + " bytes but the file system of pool p"
            + " has only " + (both - 1) + " free beyond the 0 reserved; free space on it first");
  }

  @Test
  void batchWhoseSizesAddUpPastTheLargestLongIsRefused() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 1.0);
    assertEquals(ErrorCode.OVERCOMMIT_LIMIT, refusal(books.decide(
        List.of(sparseRaw("a", Long.MAX_VALUE), sparseRaw("b", Long.MAX_VALUE)), PLENTY)).code());
    assertEquals(ErrorCode.INSUFFICIENT_SPACE, refusal(books.decide(
        List.of(fallocate("a", Long.MAX_VALUE), fallocate("b", 2)), PLENTY)).code());
  }

  @Test
  void batchOfOneIsDecidedExactlyAsTheVolumeAlone() {
    Books books = books(OptionalLong.of(4 * GIB), 0, 1.0);
    VolumeSpec spec = fallocate("a", 4 * GIB + 1);
    assertEquals(books.decide(spec, PLENTY), books.decide(List.of(spec), PLENTY));
  }

  // capacity and the stats figures

  @Test
  void configuredCapacityLargerThanTheFileSystemIsCappedAtItsSize() {
    Books books = books(OptionalLong.of(100 * GIB), 0, 1.0);
    assertEquals(10 * GIB, books.figures(new Space(10 * GIB, 10 * GIB)).capacity());
  }

  @Test
  void capacityDefaultsToTheFileSystemSize() {
    Books books = books(OptionalLong.empty(), 0, 1.0);
    Figures figures = books.figures(new Space(20 * GIB, 5 * GIB));
    assertEquals(20 * GIB, figures.capacity());
    assertEquals(5 * GIB, figures.availableForFallocate()); // the file system's free space binds
    assertEquals(20 * GIB, figures.availableForSparse());
  }

  @Test
  void availableForFallocateIsTheTightestOfTheThreeRoomsAndNeverNegative() {
    Books books = books(OptionalLong.of(10 * GIB), 10, 1.0); // usable 9 GiB, R 1 GiB, limit 9 GiB
    admitAndReserve(books, fallocate("f", 2 * GIB), PLENTY);
    assertEquals(7 * GIB, books.figures(PLENTY).availableForFallocate()); // usable - committed
    admitAndReserve(books, sparseRaw("s", 6 * GIB), PLENTY);
    assertEquals(GIB, books.figures(PLENTY).availableForFallocate()); // limit - provisioned
    assertEquals(GIB, books.figures(PLENTY).availableForSparse());
    Space nearlyFull = new Space(100 * GIB, GIB + GIB / 2); // free - in flight (2 GiB) - R < 0
    assertEquals(0, books.figures(nearlyFull).availableForFallocate());
    assertEquals(-GIB / 2, books.figures(nearlyFull).filesystemFree());
  }

  @Test
  void availableForSparseIsZeroWhenVolumesFoundAtStartUpExceedTheLimit() {
    Books books = books(OptionalLong.of(GIB), 0, 1.0);
    books.add(volume(sparseRaw("old", 2 * GIB), 0));
    assertEquals(0, books.figures(PLENTY).availableForSparse());
    assertEquals(ErrorCode.OVERCOMMIT_LIMIT, refusal(books.decide(sparseRaw("a", 1), PLENTY)).code());
  }

  // the books

  @Test
  void releaseGivesTheReservedSpaceBack() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 1.0);
    VolumeSpec f = fallocate("f", GIB);
    VolumeSpec s = sparseExt4("s", 2 * GIB);
    admitAndReserve(books, f, PLENTY);
    admitAndReserve(books, s, PLENTY);
    assertEquals(GIB, books.committed());
    assertEquals(3 * GIB, books.provisioned());
    books.release(f);
    books.release(s);
    assertBooks(books, 0, 0, 0, 0, 0);
  }

  @Test
  void completedVolumeStaysInTheBooksUntilDeleted() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 1.0);
    VolumeSpec f = full("f", GIB);
    admitAndReserve(books, f, PLENTY);
    books.complete(f, GIB);
    assertBooks(books, GIB, GIB, GIB, 0, 0);
    books.remeasured(GIB, GIB - 4096);
    assertEquals(GIB - 4096, books.allocated());
    books.remove(volume(f, GIB - 4096));
    assertBooks(books, 0, 0, 0, 0, 0);
  }

  @Test
  void volumesFoundOnDiskJoinTheBooksAsPublished() {
    Books books = books(OptionalLong.of(8 * GIB), 0, 1.0);
    books.add(volume(fallocate("f", GIB), GIB));
    books.add(volume(sparseExt4("s", 2 * GIB), 5 << 20));
    assertBooks(books, GIB, 3 * GIB, GIB + (5 << 20), 0, 0);
  }

  @Test
  void decidingChangesNothing() {
    Books books = books(OptionalLong.of(GIB), 0, 1.0);
    admitAndReserve(books, fallocate("f", GIB / 2), PLENTY);
    books.decide(fallocate("a", GIB), PLENTY);
    books.decide(List.of(sparseExt4("b", GIB / 4), fallocate("c", GIB / 4)), PLENTY);
    assertBooks(books, GIB / 2, GIB / 2, 0, GIB / 2, 0);
  }

  // helpers

  static Books books(OptionalLong capacity, double reservedPercent, double ratio) {
    return new Books(new PoolLimits("p", capacity, reservedPercent, ratio));
  }

  static void admitAndReserve(Books books, VolumeSpec spec, Space space) {
    assertAdmitted(books.decide(spec, space));
    books.reserve(spec);
  }

  static void assertAdmitted(Decision decision) {
    assertEquals(Decision.Admit.INSTANCE, decision, () -> decision.toString());
  }

  static Decision.Refuse refusal(Decision decision) {
    return assertInstanceOf(Decision.Refuse.class, decision);
  }

  static void assertRefused(Decision decision, ErrorCode code, String message) {
    assertEquals(new Decision.Refuse(code, message), decision);
  }

  static void assertBooks(Books books, long committed, long provisioned, long allocated,
      long inFlightBlocks, long inFlightOverhead) {
    assertEquals(List.of(committed, provisioned, allocated, inFlightBlocks, inFlightOverhead),
        List.of(books.committed(), books.provisioned(), books.allocated(), books.inFlightBlocks(),
            books.inFlightOverhead()), "committed, provisioned, allocated, in-flight blocks, in-flight overhead");
  }

  static VolumeSpec fallocate(String name, long size) {
    return spec(name, size, FileSystemType.EXT4, Allocation.FALLOCATE);
  }

  static VolumeSpec full(String name, long size) {
    return spec(name, size, FileSystemType.EXT4, Allocation.FULL);
  }

  static VolumeSpec sparseExt4(String name, long size) {
    return spec(name, size, FileSystemType.EXT4, Allocation.SPARSE);
  }

  /** Unformatted: no formatting overhead, so rule 3 stays out of the way. */
  static VolumeSpec sparseRaw(String name, long size) {
    return spec(name, size, FileSystemType.NONE, Allocation.SPARSE);
  }

  static VolumeSpec spec(String name, long size, FileSystemType fs, Allocation allocation) {
    return new VolumeSpec(name, size, fs, Optional.empty(), List.of(), allocation);
  }

  static Volume volume(VolumeSpec spec, long allocatedBytes) {
    return new Volume(spec, Instant.EPOCH, allocatedBytes, Volume.State.READY, false);
  }
}

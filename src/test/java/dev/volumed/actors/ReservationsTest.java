package dev.volumed.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ledger's reservations in flight, by id, by name and by owner, with no actor. */
class ReservationsTest {
  static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

  @Test
  void idsStartAtOneAndAreNeverReused() {
    Reservations<String> reservations = new Reservations<>();
    long a = reservations.add(spec("a"), T0, "w1");
    long b = reservations.add(spec("b"), T0, "w1");
    reservations.take(b);
    long c = reservations.add(spec("b"), T0, "w1");
    assertEquals(List.of(1L, 2L, 3L), List.of(a, b, c));
  }

  @Test
  void aReservationHoldsItsNameUntilItIsTaken() {
    Reservations<String> reservations = new Reservations<>();
    long id = reservations.add(spec("a"), T0, "w1");
    assertTrue(reservations.holds("a"));
    assertFalse(reservations.holds("b"));
    assertEquals(spec("a"), reservations.take(id));
    assertFalse(reservations.holds("a"));
    assertEquals(0, reservations.size());
  }

  @Test
  void takingAnUnknownOrSpentIdGivesNothing() {
    Reservations<String> reservations = new Reservations<>();
    long id = reservations.add(spec("a"), T0, "w1");
    assertNull(reservations.take(id + 1));
    reservations.take(id);
    assertNull(reservations.take(id));
    assertTrue(reservations.takeAll("w1").isEmpty());
  }

  @Test
  void anOwnerThatStopsGivesBackExactlyWhatItStillHolds() {
    Reservations<String> reservations = new Reservations<>();
    long a = reservations.add(spec("a"), T0, "w1");
    reservations.add(spec("b"), T0, "w1");
    reservations.add(spec("c"), T0, "w2");
    reservations.take(a);
    assertEquals(List.of(spec("b")), reservations.takeAll("w1"));
    assertFalse(reservations.holds("b"));
    assertTrue(reservations.holds("c"));
    assertEquals(1, reservations.size());
    assertTrue(reservations.takeAll("w1").isEmpty());
  }

  @Test
  void volumesInFlightShowAsCreatingWithNoBlocksSinceTheyStarted() {
    Reservations<String> reservations = new Reservations<>();
    reservations.add(spec("a"), T0, "w1");
    reservations.add(spec("b"), T0.plusSeconds(1), "w2");
    Volume a = reservations.creating("a");
    assertEquals(new Volume(spec("a"), T0, 0, Volume.State.CREATING, false), a);
    assertNull(reservations.creating("c"));
    assertEquals(List.of("a", "b"), reservations.creating().stream().map(Volume::name).sorted().toList());
  }

  static VolumeSpec spec(String name) {
    return new VolumeSpec(name, 1L << 30, FileSystemType.EXT4, Optional.empty(), List.of(), Allocation.SPARSE);
  }
}

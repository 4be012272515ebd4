package dev.volumed.actors;

import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The reservations a ledger has admitted and not yet seen end, held three ways: by id (how a
 * worker names its reservation), by volume name (a name in flight takes no other request), and
 * by owner (what is given back when an owner stops). Ids start at 1 and are never reused. Plain
 * state with no actor or clock in it: the ledger calls it on its own turn and passes the time in.
 *
 * @param <O> who holds a reservation (the ledger's owners are actor references)
 */
final class Reservations<O> {

  /** One volume in flight: admitted at {@code startedAt} for {@code owner}, not yet published or given back. */
  private record Reservation<O>(long id, VolumeSpec spec, Instant startedAt, O owner) {

    /** How get and list show it: creating, with no blocks of its own yet. */
    Volume asVolume() {
      return new Volume(spec, startedAt, 0, Volume.State.CREATING, false);
    }
  }

  private final Map<Long, Reservation<O>> byId = new HashMap<>();
  private final Map<String, Reservation<O>> byName = new HashMap<>();
  private final Map<O, Set<Long>> byOwner = new HashMap<>();
  private long nextId = 1;

  /** Holds {@code spec} for {@code owner}; the caller has checked that its name is not in flight. */
  long add(VolumeSpec spec, Instant startedAt, O owner) {
    Reservation<O> reservation = new Reservation<>(nextId++, spec, startedAt, owner);
    byId.put(reservation.id(), reservation);
    byName.put(spec.name(), reservation);
    byOwner.computeIfAbsent(owner, o -> new HashSet<>()).add(reservation.id());
    return reservation.id();
  }

  /** Ends the reservation with this id and returns its spec; null when there is none (never made, or ended). */
  VolumeSpec take(long id) {
    Reservation<O> reservation = byId.remove(id);
    if (reservation == null) {
      return null;
    }
    byName.remove(reservation.spec().name());
    Set<Long> ids = byOwner.get(reservation.owner());
    if (ids != null && ids.remove(id) && ids.isEmpty()) {
      byOwner.remove(reservation.owner());
    }
    return reservation.spec();
  }

  /** Ends every reservation the owner holds (it stopped), and returns their specs. */
  List<VolumeSpec> takeAll(O owner) {
    Set<Long> ids = byOwner.remove(owner);
    List<VolumeSpec> taken = new ArrayList<>();
    for (long id : ids == null ? Set.<Long>of() : ids) {
      Reservation<O> reservation = byId.remove(id);
      if (reservation != null) {
        byName.remove(reservation.spec().name());
        taken.add(reservation.spec());
      }
    }
    return taken;
  }

  boolean holds(String name) {
    return byName.containsKey(name);
  }

  /** The volume of that name in flight, as get shows it ("creating"), or null. */
  Volume creating(String name) {
    Reservation<O> reservation = byName.get(name);
    return reservation == null ? null : reservation.asVolume();
  }

  /** Every volume in flight, as list shows them. */
  List<Volume> creating() {
    return byId.values().stream().map(Reservation::asVolume).toList();
  }

  int size() {
    return byId.size();
  }
}

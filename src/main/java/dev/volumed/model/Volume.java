package dev.volumed.model;

import java.time.Instant;
import java.util.Optional;

/**
 * A volume in the books: what it is, when it was made, and what it last measured on disk. A
 * damaged volume's image no longer matches its metadata; {@code damage} says how (and is present
 * exactly when the state is DAMAGED).
 */
public record Volume(VolumeSpec spec, Instant createdAt, long allocatedBytes, State state, boolean adopted,
    Optional<String> damage) {

  public enum State {
    READY("ready"),
    CREATING("creating"),
    /** The image is not what its metadata says (type, length or blocks); see {@link #damage}. */
    DAMAGED("damaged");

    private final String wire;

    State(String wire) {
      this.wire = wire;
    }

    public String wireName() {
      return wire;
    }
  }

  public Volume {
    if ((state == State.DAMAGED) != damage.isPresent()) {
      throw new IllegalArgumentException("a volume has a damage reason exactly when it is damaged: " + state + ", " + damage);
    }
  }

  /** A volume that is not damaged. */
  public Volume(VolumeSpec spec, Instant createdAt, long allocatedBytes, State state, boolean adopted) {
    this(spec, createdAt, allocatedBytes, state, adopted, Optional.empty());
  }

  public String name() {
    return spec.name();
  }

  public Volume withAllocatedBytes(long bytes) {
    return new Volume(spec, createdAt, bytes, state, adopted, damage);
  }

  /** As a check of its image found it: damaged for that reason, else ready. */
  public Volume checked(long bytes, Optional<String> reason) {
    return new Volume(spec, createdAt, bytes, reason.isPresent() ? State.DAMAGED : State.READY, adopted, reason);
  }
}

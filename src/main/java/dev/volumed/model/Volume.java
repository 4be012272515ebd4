package dev.volumed.model;

import java.time.Instant;

/** A volume in the books: what it is, when it was made, and what it last measured on disk. */
public record Volume(VolumeSpec spec, Instant createdAt, long allocatedBytes, State state, boolean adopted) {

  public enum State {
    READY("ready"),
    CREATING("creating");

    private final String wire;

    State(String wire) {
      this.wire = wire;
    }

    public String wireName() {
      return wire;
    }
  }

  public String name() {
    return spec.name();
  }

  public Volume withAllocatedBytes(long bytes) {
    return new Volume(spec, createdAt, bytes, state, adopted);
  }
}

package dev.volumed.actors;

import dev.volumed.accounting.PoolLevel;
import dev.volumed.model.Level;
import dev.volumed.model.Volume;
import java.util.Locale;
import java.util.Optional;

/** What watchers of the pools are told: a pool's level changed, or one of its volumes did. */
public sealed interface PoolEvent {
  String pool();

  /** A change of a pool's level; {@code previous} is empty for the state a watch starts with. */
  record LevelChanged(String pool, PoolLevel now, Optional<Level> previous, String message) implements PoolEvent {}

  /** A volume changed: {@code volume} is as it is after the change (for DELETED, as it was). */
  record VolumeChanged(Action action, String pool, Volume volume) implements PoolEvent {}

  /** What happened to a volume. An op that changed nothing publishes none. */
  enum Action {
    CREATED, DELETED, RESIZED, PREALLOCATED, RECLAIMED,
    /** The books took in an image volumed did not make (when they are loaded: at start-up, or again after a failure). */
    ADOPTED;

    /** "created", ...: as the wire writes it. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}

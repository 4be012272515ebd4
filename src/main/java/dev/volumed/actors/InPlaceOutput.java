package dev.volumed.actors;

import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;

/**
 * What a worker changing a published volume in place (resize, reclaim, preallocate) tells its
 * requester: {@link Progress} as it goes, then one end ({@link Changed}, {@link Reclaimed} or
 * {@link Failed}).
 */
public sealed interface InPlaceOutput {

  /**
   * How far it has come, in bytes. {@code step} names the part under way where a change has more
   * than one (a resize: "extend", then "filesystem"); null where it has one (a preallocate).
   */
  record Progress(String name, String step, long doneBytes, long totalBytes) implements InPlaceOutput {}

  /** The volume as it is now: resized or preallocated, or as it was when it already was so. */
  record Changed(Volume volume) implements InPlaceOutput {}

  record Reclaimed(Volume volume, long reclaimedBytes) implements InPlaceOutput {}

  record Failed(VolumeException error) implements InPlaceOutput {}
}

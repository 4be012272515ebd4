package dev.volumed.actors;

import dev.volumed.disk.ImageCheck;
import dev.volumed.model.Volume;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The published volumes of a pool by name, and the names being deleted with who deletes each. Plain
 * state with no actor in it: the ledger calls it on its own turn (what is in flight is {@link
 * Reservations}).
 *
 * @param <O> who deletes a volume (the ledger's owners are actor references)
 */
final class Volumes<O> {

  /** A volume a refresh checked again: as the books had it, and as its image is now. */
  record Remeasured(Volume before, Volume now) {}

  private final Map<String, Volume> byName = new HashMap<>();
  private final Map<String, O> deleting = new HashMap<>();
  private final Map<String, Changing<O>> changing = new HashMap<>();

  /** A change in place of a published volume (resize, reclaim), by whom: no other change or delete meanwhile. */
  enum Change {
    RESIZE("being resized"), RECLAIM("having its unused blocks reclaimed");

    final String doing;

    Change(String doing) {
      this.doing = doing;
    }
  }

  /** {@code size}: what a resize grows the volume to (the growth held in the books); 0 for a reclaim. */
  private record Changing<O>(Change change, O owner, long size) {}

  /** A change whose owner stopped before it said how it ended. */
  record Abandoned(String name, Change change, long size) {}

  /** The published volume of that name, or null. */
  Volume get(String name) {
    return byName.get(name);
  }

  /** Publishes a volume, or replaces the one of its name. */
  void put(Volume volume) {
    byName.put(volume.name(), volume);
  }

  Collection<Volume> all() {
    return byName.values();
  }

  int size() {
    return byName.size();
  }

  boolean isDeleting(String name) {
    return deleting.containsKey(name);
  }

  void beginDelete(String name, O owner) {
    deleting.put(name, owner);
  }

  /** The deletion has ended: the volume if it is gone now (it leaves), else null. */
  Volume endDelete(String name, boolean deleted) {
    deleting.remove(name);
    return deleted ? byName.remove(name) : null;
  }

  /** The owner stopped: the names it was deleting are no longer being deleted. */
  void dropDeletionsOf(O owner) {
    deleting.values().removeIf(o -> o.equals(owner));
  }

  /** The change under way on that name, or null. */
  Change changing(String name) {
    Changing<O> c = changing.get(name);
    return c == null ? null : c.change();
  }

  void beginChange(String name, Change change, long size, O owner) {
    changing.put(name, new Changing<>(change, owner, size));
  }

  void endChange(String name) {
    changing.remove(name);
  }

  /** The owner stopped: the names it was changing, which are no longer being changed. */
  List<Abandoned> dropChangesOf(O owner) {
    List<Abandoned> dropped = new ArrayList<>();
    changing.entrySet().removeIf(e -> e.getValue().owner().equals(owner)
        && dropped.add(new Abandoned(e.getKey(), e.getValue().change(), e.getValue().size())));
    return dropped;
  }

  /**
   * Takes a refresh's checks of the volumes it asked about, and returns each volume that took one.
   * Only the very volume that was measured does: one deleted, being deleted or made again since is not.
   */
  List<Remeasured> remeasure(List<Volume> asked, Map<String, ImageCheck.Result> checks) {
    List<Remeasured> changed = new ArrayList<>();
    for (Volume then : asked) {
      Volume volume = byName.get(then.name());
      ImageCheck.Result check = checks.get(then.name());
      if (check == null || volume == null || deleting.containsKey(then.name()) || changing.containsKey(then.name())
          || !volume.spec().equals(then.spec()) || !volume.createdAt().equals(then.createdAt())) {
        continue;
      }
      Volume now = volume.checked(check.allocatedBytes(), check.damage());
      byName.put(now.name(), now);
      changed.add(new Remeasured(volume, now));
    }
    return changed;
  }
}

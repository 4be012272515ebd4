package dev.volumed.actors;

import dev.volumed.accounting.Preallocation;
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

  /**
   * The one mark of a published volume being changed in place, and what the change holds in the
   * books until it ends: while a name has one, it takes no delete, create or other change (BUSY,
   * worded by {@link #doing}).
   */
  sealed interface Change {
    /** How a refusal names it: "volume a.img in pool p is being resized". */
    String doing();
  }

  /** Growing to {@code size}: the growth is reserved in the books. */
  record Growth(long size) implements Change {
    @Override
    public String doing() {
      return "being resized";
    }
  }

  /** Giving back the blocks that hold no data: nothing is held. */
  record Reclaiming() implements Change {
    @Override
    public String doing() {
      return "being reclaimed";
    }
  }

  /** Taking its blocks: the preallocation is reserved in the books. */
  record Preallocating(Preallocation books) implements Change {
    @Override
    public String doing() {
      return "being preallocated";
    }
  }

  private record Changing<O>(Change change, O owner) {}

  /** A change whose owner stopped before it said how it ended. */
  record Abandoned(String name, Change change) {}

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

  void beginChange(String name, Change change, O owner) {
    changing.put(name, new Changing<>(change, owner));
  }

  /** The change that ended, or null when there was none (its owner stopped first). */
  Change endChange(String name) {
    Changing<O> ended = changing.remove(name);
    return ended == null ? null : ended.change();
  }

  /** The owner stopped: the names it was changing, which are no longer being changed. */
  List<Abandoned> dropChangesOf(O owner) {
    List<Abandoned> dropped = new ArrayList<>();
    changing.entrySet().removeIf(e -> e.getValue().owner().equals(owner)
        && dropped.add(new Abandoned(e.getKey(), e.getValue().change())));
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

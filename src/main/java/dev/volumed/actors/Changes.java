package dev.volumed.actors;

import dev.volumed.accounting.Preallocation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The published volumes being changed in place (a preallocate in flight), by name: while a name is
 * here, no other request may delete or change it (BUSY). Each change holds what it took in the
 * books, given back when it fails or its owner stops. Plain state with no actor in it: the ledger
 * calls it on its own turn.
 *
 * @param <O> who makes the change (the ledger's owners are actor references)
 */
final class Changes<O> {

  /** One change in flight: what it does ("preallocated"), for whom, and its part of the books. */
  record Change<O>(String what, O owner, Preallocation books) {}

  private final Map<String, Change<O>> byName = new HashMap<>();

  boolean has(String name) {
    return byName.containsKey(name);
  }

  /** What is being done to the name ("preallocated"), or null. */
  String what(String name) {
    Change<O> change = byName.get(name);
    return change == null ? null : change.what();
  }

  /** The caller has checked that nothing else is being done to the name. */
  void begin(String name, String what, O owner, Preallocation books) {
    byName.put(name, new Change<>(what, owner, books));
  }

  /** The change of name has ended: it, or null when there was none (its owner stopped first). */
  Change<O> end(String name) {
    return byName.remove(name);
  }

  /** The owner stopped: every change it was making ends, and is returned. */
  List<Change<O>> endAllOf(O owner) {
    List<Change<O>> ended = new ArrayList<>();
    byName.values().removeIf(change -> {
      boolean mine = change.owner().equals(owner);
      if (mine) {
        ended.add(change);
      }
      return mine;
    });
    return ended;
  }
}

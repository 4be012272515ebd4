package dev.volumed.frontend;

import dev.volumed.model.VolumeException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests in flight, which shutdown waits for and answers early, and whether volumed still
 * takes new ones. Draining starts once and is never undone: from then on every new request is
 * answered SHUTTING_DOWN, and those in flight have until the grace period to finish.
 */
final class Drain {
  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  /** A request in flight, which shutdown can answer early. */
  interface Pending {
    void abort(VolumeException reason);
  }

  /** A request is in flight until {@link #done}. */
  void started(Pending request) {
    pending.add(request);
  }

  void done(Pending request) {
    pending.remove(request);
  }

  /** From now on every new request is answered SHUTTING_DOWN. */
  void start() {
    draining = true;
  }

  boolean draining() {
    return draining;
  }

  /** Requests whose reply has not been produced yet. */
  int inFlight() {
    return pending.size();
  }

  /** Answers every request still in flight with this error (their work is rolled back at exit). */
  void abortAll(VolumeException reason) {
    for (Pending one : List.copyOf(pending)) {
      one.abort(reason);
    }
  }
}

package dev.volumed.csi;

import dev.volumed.model.Names;
import java.util.Optional;

/**
 * A CSI volume id names the pool and the volume: {@code "<pool>/<volume name>"}, e.g.
 * {@code "default/pvc-5f3c…"} or, for a volume made with volumectl, {@code "default/vm1/root.img"}.
 * The first segment is the pool (pool names hold no '/'); the rest is the volume's name in it.
 */
public record VolumeIds(String pool, String name) {
  /** CSI: ids are at most 128 bytes. */
  public static final int MAX_ID_BYTES = 128;

  public String id() {
    return pool + "/" + name;
  }

  /** The pool and name of an id, or empty when it cannot be one of volumed's (never a path outside a pool). */
  public static Optional<VolumeIds> parse(String id) {
    int slash = id == null ? -1 : id.indexOf('/');
    if (slash <= 0 || slash == id.length() - 1) {
      return Optional.empty();
    }
    String name = id.substring(slash + 1);
    if (Names.problem(name) != null) {
      return Optional.empty();
    }
    return Optional.of(new VolumeIds(id.substring(0, slash), name));
  }
}

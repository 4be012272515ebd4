package dev.volumed.csi;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A StorageClass's parameters as CreateVolume and GetCapacity receive them: {@code pool},
 * {@code fs} and {@code allocation}, each optional. Any other key is refused (a typo must not
 * silently give a sparse ext4 volume in the wrong pool), except those csi-provisioner adds itself
 * ({@code csi.storage.k8s.io/...}, e.g. the PVC's name and namespace).
 *
 * @param pool the pool the volume goes into, by {@link #choose}
 * @param fs the fs asked for, if any
 * @param allocation the allocation asked for, if any
 */
record Parameters(Pools.Pool pool, Optional<FileSystemType> fs, Optional<Allocation> allocation) {
  static final String POOL = "pool";
  static final String FS = "fs";
  static final String ALLOCATION = "allocation";
  private static final Set<String> KNOWN = Set.of(POOL, FS, ALLOCATION);
  private static final String PROVISIONER_PREFIX = "csi.storage.k8s.io/";

  /** The parameters read and checked: INVALID_ARGUMENT for an unknown key, pool, fs or allocation. */
  static Parameters read(Map<String, String> parameters, Pools pools) {
    for (String key : parameters.keySet()) {
      if (!KNOWN.contains(key) && !key.startsWith(PROVISIONER_PREFIX)) {
        throw Statuses.invalid("unknown parameter \"" + key + "\"; volumed's parameters are \"pool\", \"fs\" ("
            + wireNames(FileSystemType.values()) + ") and \"allocation\" (" + wireNames(Allocation.values()) + ")");
      }
    }
    Pools.Pool pool = choose(Optional.ofNullable(parameters.get(POOL)), pools);
    Optional<FileSystemType> fs = Optional.ofNullable(parameters.get(FS)).map(text -> FileSystemType.fromWire(text)
        .orElseThrow(() -> Statuses.invalid("parameter fs \"" + text + "\" is not one of "
            + wireNames(FileSystemType.values()))));
    Optional<Allocation> allocation = Optional.ofNullable(parameters.get(ALLOCATION)).map(text -> Allocation
        .fromWire(text).orElseThrow(() -> Statuses.invalid("parameter allocation \"" + text + "\" is not one of "
            + wireNames(Allocation.values()))));
    return new Parameters(pool, fs, allocation);
  }

  /**
   * The pool a request means: the one named by parameter {@code pool}; without it, the only pool,
   * else the pool named "default"; else INVALID_ARGUMENT asking for the parameter.
   */
  static Pools.Pool choose(Optional<String> named, Pools pools) {
    if (named.isPresent()) {
      return pools.named(named.get()).orElseThrow(() -> Statuses.invalid("parameter pool \"" + named.get()
          + "\" is not one of volumed's pools (" + poolNames(pools) + ")"));
    }
    if (pools.all().size() == 1) {
      return pools.all().get(0);
    }
    return pools.named("default").orElseThrow(() -> Statuses.invalid("volumed has " + pools.all().size()
        + " pools (" + poolNames(pools) + ") and none is named \"default\"; give parameter \"pool\""));
  }

  /** The allocation a volume made with these parameters gets: the one asked for, else the pool's default. */
  Allocation allocationOrDefault() {
    return allocation.orElse(pool.settings().defaultAllocation());
  }

  private static String poolNames(Pools pools) {
    return pools.all().stream().map(Pools.Pool::name).collect(Collectors.joining(", "));
  }

  private static String wireNames(Enum<?>[] values) {
    return Arrays.stream(values).map(v -> v.name().toLowerCase(java.util.Locale.ROOT))
        .collect(Collectors.joining(", "));
  }
}

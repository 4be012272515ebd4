package dev.volumed.settings;

import com.typesafe.config.Config;
import dev.volumed.disk.Allocation;
import dev.volumed.disk.FileSystemType;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** One pool's section of {@code volumed.pools}. */
public record PoolSettings(
    String name,
    Path path,
    OptionalLong capacity,
    double reservedPercent,
    double maxOvercommitRatio,
    Allocation defaultAllocation,
    FileSystemType defaultFs,
    Set<PosixFilePermission> mode,
    Optional<String> owner,
    Optional<String> group) {

  public PoolSettings {
    mode = Set.copyOf(mode);
    if (reservedPercent < 0 || reservedPercent >= 100) {
      throw new IllegalArgumentException("pool " + name + ": reserved-percent must be in [0, 100)");
    }
    if (maxOvercommitRatio < 1.0) {
      throw new IllegalArgumentException("pool " + name + ": max-overcommit-ratio must be at least 1.0");
    }
  }

  static PoolSettings from(String name, Config c) {
    String allocation = c.getString("default-allocation");
    String fs = c.getString("default-fs");
    return new PoolSettings(
        name,
        Path.of(c.getString("path")).toAbsolutePath().normalize(),
        c.getIsNull("capacity") ? OptionalLong.empty() : OptionalLong.of(c.getBytes("capacity")),
        c.getDouble("reserved-percent"),
        c.getDouble("max-overcommit-ratio"),
        Allocation.fromWire(allocation).orElseThrow(() ->
            new IllegalArgumentException("pool " + name + ": unknown default-allocation " + allocation)),
        FileSystemType.fromWire(fs).orElseThrow(() ->
            new IllegalArgumentException("pool " + name + ": unknown default-fs " + fs)),
        parseMode(c.getString("mode")),
        optionalString(c, "owner"),
        optionalString(c, "group"));
  }

  /** An octal mode such as {@code "0600"}; only permission bits. */
  public static Set<PosixFilePermission> parseMode(String octal) {
    int bits = Integer.parseInt(octal, 8);
    if (bits < 0 || bits > 0777) {
      throw new IllegalArgumentException("mode " + octal + " is not an octal permission mode like 0600");
    }
    StringBuilder rwx = new StringBuilder();
    String letters = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      rwx.append((bits & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(rwx.toString());
  }

  private static Optional<String> optionalString(Config c, String key) {
    if (!c.hasPathOrNull(key) || c.getIsNull(key)) {
      return Optional.empty();
    }
    return Optional.of(c.getAnyRef(key).toString());
  }
}

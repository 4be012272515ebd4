package dev.volumed.settings;

import dev.volumed.model.Sizes;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Watermarks;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

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
    Optional<String> group,
    Watermarks watermarks) {

  /**
   * A pool name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit. It
   * names the pool's actors and its metrics, so nothing else (no space, no '/') is allowed.
   */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  static final String NAME_RULE =
      "a pool name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

  /** An octal permission mode: 3 or 4 octal digits, only permission bits (no setuid, setgid, sticky). */
  private static final Pattern MODE = Pattern.compile("0?[0-7]{3}");
  static final String MODE_RULE = "must be an octal permission mode like \"0600\" (3 digits, or 4 with a leading 0)";

  /** The smallest capacity a pool may be given. */
  static final long MIN_CAPACITY = Sizes.MIB;

  public PoolSettings {
    mode = Set.copyOf(mode);
  }

  /** A pool with the default watermarks (80 / 90 / 95). */
  public PoolSettings(String name, Path path, OptionalLong capacity, double reservedPercent, double maxOvercommitRatio,
      Allocation defaultAllocation, FileSystemType defaultFs, Set<PosixFilePermission> mode, Optional<String> owner,
      Optional<String> group) {
    this(name, path, capacity, reservedPercent, maxOvercommitRatio, defaultAllocation, defaultFs, mode, owner, group,
        Watermarks.DEFAULT);
  }

  /** Every pool of {@code volumed.pools} not set to null, each read over {@code volumed.pool-defaults}. */
  static List<PoolSettings> readAll(ConfigReader volumed) {
    ConfigReader pools = volumed.section("pools");
    ConfigReader defaults = volumed.section("pool-defaults");
    read("pool-defaults", null, defaults); // its problems once, under its own name
    List<PoolSettings> all = new ArrayList<>();
    for (String name : pools.config().root().keySet().stream().sorted().toList()) {
      String key = ConfigUtil.joinPath(name);
      ConfigValue section = pools.config().root().get(name);
      if (section.valueType() == ConfigValueType.NULL) {
        continue; // switched off, e.g. the packaged "default" pool
      } else if (!NAME.matcher(name).matches()) {
        volumed.problems().add(pools.name(key) + ": " + NAME_RULE);
      } else if (section.valueType() != ConfigValueType.OBJECT) {
        pools.refuse(key, "must be a section { path = \"/srv/volumes\", ... } or null");
      } else if (hasOwnPath(pools, key, name)) {
        ConfigReader pool = pools.section(key).over(defaults.config());
        all.add(read(name, pool.parsed("path", null, "must be a folder, like \"/srv/volumes\"", PoolSettings::folder),
            pool));
      }
    }
    if (all.isEmpty() && volumed.problems().isEmpty()) {
      volumed.problems().add(volumed.name("pools") + " names no pool: give at least one, e.g."
          + " volumed.pools.default.path = \"/srv/volumes\"");
    }
    return all;
  }

  /**
   * Every pool names its own folder: a section without {@code path}, or one the operator
   * configures while its path is still the packaged example folder, is refused, so that a pool is
   * never served from a folder nobody chose.
   */
  private static boolean hasOwnPath(ConfigReader pools, String key, String name) {
    Config section = pools.config().getConfig(key);
    String example = " every pool names its own folder, e.g. path = \"/srv/volumes/" + name + "\"";
    if (!section.hasPathOrNull("path")) {
      pools.problems().add(pools.name(key) + ".path is missing:" + example);
      return false;
    }
    boolean pathPackaged = Settings.packaged(section.getValue("path"));
    boolean configured = section.entrySet().stream().anyMatch(e -> !Settings.packaged(e.getValue()));
    if (pathPackaged && configured) {
      pools.problems().add(pools.name(key) + ".path is not in your configuration, only in the packaged"
          + " defaults (" + ConfigReader.shown(section.getValue("path")) + "):" + example
          + ", or switch the pool off with " + pools.name(key) + " = null");
      return false;
    }
    return true;
  }

  private static PoolSettings read(String name, Path path, ConfigReader c) {
    return new PoolSettings(
        name,
        path,
        c.optionalBytes("capacity", MIN_CAPACITY),
        c.number("reserved-percent", 0, 100, "must be a number from 0 up to (not including) 100"),
        c.number("max-overcommit-ratio", 1, Double.POSITIVE_INFINITY, "must be a number of at least 1.0"),
        c.parsed("default-allocation", Allocation.SPARSE, "must be one of "
                + Arrays.stream(Allocation.values()).map(Allocation::wireName).collect(Collectors.joining(", ")),
            s -> Allocation.fromWire(s).orElseThrow(IllegalArgumentException::new)),
        c.parsed("default-fs", FileSystemType.EXT4, "must be one of "
                + Arrays.stream(FileSystemType.values()).map(FileSystemType::wireName).collect(Collectors.joining(", ")),
            s -> FileSystemType.fromWire(s).orElseThrow(IllegalArgumentException::new)),
        c.parsed("mode", Set.of(), MODE_RULE, PoolSettings::parseMode),
        c.optionalId("owner", true),
        c.optionalId("group", false),
        watermarks(c));
  }

  /** {@code watermarks { warn-percent, critical-percent, full-percent }}: 0 < warn < critical < full <= 100. */
  private static Watermarks watermarks(ConfigReader c) {
    String accepted = "must be a percent above 0 and at most 100";
    int before = c.problems().size();
    double warn = c.number("watermarks.warn-percent", 0, Double.POSITIVE_INFINITY, accepted);
    double critical = c.number("watermarks.critical-percent", 0, Double.POSITIVE_INFINITY, accepted);
    double full = c.number("watermarks.full-percent", 0, Double.POSITIVE_INFINITY, accepted);
    String problem = Watermarks.problem(warn, critical, full);
    if (c.problems().size() > before) {
      return Watermarks.DEFAULT;
    } else if (problem != null) {
      c.refuse("watermarks", problem);
      return Watermarks.DEFAULT;
    }
    return new Watermarks(warn, critical, full);
  }

  /** An absolute, normalised folder path; relative paths resolve against the working directory. */
  static Path folder(String text) {
    if (text.isBlank()) {
      throw new IllegalArgumentException("empty path");
    }
    return Path.of(text).toAbsolutePath().normalize();
  }

  /** An octal mode such as {@code "0600"}; only permission bits. */
  public static Set<PosixFilePermission> parseMode(String octal) {
    if (!MODE.matcher(octal).matches()) {
      throw new IllegalArgumentException("mode " + octal + " is not an octal permission mode like 0600");
    }
    int bits = Integer.parseInt(octal, 8);
    StringBuilder rwx = new StringBuilder();
    String letters = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      rwx.append((bits & (1 << (8 - i))) != 0 ? letters.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(rwx.toString());
  }
}

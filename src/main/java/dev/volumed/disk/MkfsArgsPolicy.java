package dev.volumed.disk;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.volumed.protocol.ErrorCode;
import dev.volumed.protocol.VolumeException;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which mkfs options a client may pass in {@code mkfsArgs}, per file system, from
 * {@code volumed.format.allowed-mkfs-args}. mkfs runs as root, and some of its options read or
 * write outside the image ({@code mkfs.ext4 -d DIR}, {@code -J device=...},
 * {@code mkfs.btrfs --rootdir}, {@code mkfs.xfs -d name=...}); only listed options pass.
 *
 * <p>An entry maps an option to {@code "*"} (any single value, or none) or to the list of
 * sub-option keys its value may hold ({@code "-E" = [stride, stripe_width]} admits
 * {@code -E stride=16,stripe_width=32}). A token that does not start with {@code -} is the value
 * of the option before it; {@code --opt=value} is read as {@code --opt value}.
 */
public final class MkfsArgsPolicy {
  private static final String ANY = "*";

  private final Map<FileSystemType, Map<String, Set<String>>> allowed;

  public MkfsArgsPolicy(Map<FileSystemType, Map<String, Set<String>>> allowed) {
    Map<FileSystemType, Map<String, Set<String>>> copy = new EnumMap<>(FileSystemType.class);
    allowed.forEach((fs, options) -> copy.put(fs, Map.copyOf(options)));
    this.allowed = copy;
  }

  /** Reads {@code allowed-mkfs-args}: one object per fs wire name; fs not named allow nothing. */
  public static MkfsArgsPolicy from(Config config) {
    Map<FileSystemType, Map<String, Set<String>>> allowed = new EnumMap<>(FileSystemType.class);
    for (String fsName : config.root().keySet()) {
      FileSystemType fs = FileSystemType.fromWire(fsName).orElseThrow(() ->
          new IllegalArgumentException("allowed-mkfs-args names an unknown file system " + fsName));
      Map<String, Set<String>> options = new LinkedHashMap<>();
      for (Map.Entry<String, ConfigValue> entry : config.getObject(fsName).entrySet()) {
        ConfigValue value = entry.getValue();
        if (value.valueType() == ConfigValueType.LIST) {
          Set<String> keys = new HashSet<>();
          for (Object key : (List<?>) value.unwrapped()) {
            keys.add(key.toString());
          }
          options.put(entry.getKey(), keys);
        } else if (ANY.equals(value.unwrapped())) {
          options.put(entry.getKey(), Set.of(ANY));
        } else {
          throw new IllegalArgumentException("allowed-mkfs-args." + fsName + "." + entry.getKey()
              + " must be \"*\" or a list of sub-option names");
        }
      }
      allowed.put(fs, options);
    }
    return new MkfsArgsPolicy(allowed);
  }

  /** Passes, or throws PERMISSION_DENIED naming the first option that is not allowed. */
  public void check(FileSystemType fs, List<String> args) throws VolumeException {
    Map<String, Set<String>> options = allowed.getOrDefault(fs, Map.of());
    String option = null;
    boolean valueSeen = false;
    for (String arg : args) {
      if (arg.startsWith("-") && arg.length() > 1) {
        int eq = arg.indexOf('=');
        if (arg.startsWith("--") && eq > 0) {
          option = arg.substring(0, eq);
          requireOption(fs, options, option);
          checkValue(fs, options, option, arg.substring(eq + 1));
          option = null;
          continue;
        }
        option = arg;
        valueSeen = false;
        requireOption(fs, options, option);
      } else if (option == null || valueSeen) {
        throw new VolumeException(ErrorCode.PERMISSION_DENIED, "mkfsArgs may hold only options and their"
            + " values; \"" + arg + "\" stands on its own (a device, size or path is not accepted)");
      } else {
        checkValue(fs, options, option, arg);
        valueSeen = true;
      }
    }
  }

  private void requireOption(FileSystemType fs, Map<String, Set<String>> options, String option)
      throws VolumeException {
    if (!options.containsKey(option)) {
      throw new VolumeException(ErrorCode.PERMISSION_DENIED, "mkfs option " + option + " is not allowed for "
          + fs.wireName() + " (volumed.format.allowed-mkfs-args); allowed: " + describe(options));
    }
  }

  private void checkValue(FileSystemType fs, Map<String, Set<String>> options, String option, String value)
      throws VolumeException {
    if (value.contains("/") || value.indexOf('\0') >= 0) {
      throw new VolumeException(ErrorCode.PERMISSION_DENIED, "the value \"" + value + "\" of mkfs option "
          + option + " names a path; mkfsArgs may only tune the new file system");
    }
    Set<String> keys = options.get(option);
    if (keys.contains(ANY)) {
      return;
    }
    for (String part : value.split(",")) {
      String key = part.contains("=") ? part.substring(0, part.indexOf('=')) : part;
      if (!keys.contains(key)) {
        throw new VolumeException(ErrorCode.PERMISSION_DENIED, "mkfs option " + option + " " + key
            + " is not allowed for " + fs.wireName() + " (volumed.format.allowed-mkfs-args); allowed with "
            + option + ": " + String.join(", ", new TreeSet<>(keys)));
      }
    }
  }

  private static String describe(Map<String, Set<String>> options) {
    return options.isEmpty() ? "none" : String.join(" ", new TreeSet<>(options.keySet()));
  }
}

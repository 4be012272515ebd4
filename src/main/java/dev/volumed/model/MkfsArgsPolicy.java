package dev.volumed.model;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which mkfs options a client may pass in {@code mkfsArgs}, per file system, from
 * {@code volumed.format.allowed-mkfs-args}. mkfs runs as root, and some of its options read or
 * write outside the image ({@code mkfs.ext4 -d DIR}, {@code -J device=...},
 * {@code mkfs.btrfs --rootdir}, {@code mkfs.xfs -d name=...}); only listed options pass.
 *
 * <p>The arguments are read the way the tools' getopt reads them, so that nothing can reach mkfs as
 * a positional (a second device, or a size): an option listed as {@code flag} takes no value; any
 * other option takes exactly one value, the next argument, whatever it starts with (getopt takes
 * it so), or for a long option also {@code --opt=value}. Everything else is refused:
 * an argument that is neither an allowed option nor the value of the one before it, {@code --},
 * clustered ({@code -jF}) or attached ({@code -b4096}) short options, and abbreviated or unknown
 * long options. A value may not name a path (no {@code /}, no NUL) nor be {@code list-all}, and a
 * value listed with sub-option names ({@code "-E" = [stride, stripe_width]}) may hold only those keys.
 */
public final class MkfsArgsPolicy {
  private static final String FLAG = "flag";
  private static final String ANY = "*";
  private static final Pattern OPTION = Pattern.compile("-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*");

  /** How an option takes its value: none, one of any content, or one made of the listed sub-option keys. */
  public record Rule(boolean flag, Set<String> keys) {
    public static final Rule FLAG_RULE = new Rule(true, Set.of());
    public static final Rule ANY_VALUE = new Rule(false, Set.of());

    public Rule {
      keys = Set.copyOf(keys);
    }

    private String describe(String option) {
      if (flag) {
        return option;
      }
      return option + (keys.isEmpty() ? " VALUE" : " " + String.join("|", new TreeSet<>(keys)) + "[,...]");
    }
  }

  private final Map<FileSystemType, Map<String, Rule>> allowed;

  public MkfsArgsPolicy(Map<FileSystemType, Map<String, Rule>> allowed) {
    Map<FileSystemType, Map<String, Rule>> copy = new EnumMap<>(FileSystemType.class);
    allowed.forEach((fs, options) -> copy.put(fs, java.util.Collections.unmodifiableMap(new TreeMap<>(options))));
    this.allowed = copy;
  }

  /**
   * Reads {@code allowed-mkfs-args}: one object per fs wire name, mapping each option to {@code flag},
   * {@code "*"} or a list of sub-option names; fs not named allow nothing.
   */
  public static MkfsArgsPolicy from(Config config) {
    Map<FileSystemType, Map<String, Rule>> allowed = new EnumMap<>(FileSystemType.class);
    for (String fsName : config.root().keySet()) {
      FileSystemType fs = FileSystemType.fromWire(fsName).orElseThrow(() ->
          new IllegalArgumentException("allowed-mkfs-args names an unknown file system " + fsName));
      Map<String, Rule> options = new TreeMap<>();
      for (Map.Entry<String, ConfigValue> entry : config.getObject(fsName).entrySet()) {
        String where = "allowed-mkfs-args." + fsName + ".\"" + entry.getKey() + "\"";
        if (!OPTION.matcher(entry.getKey()).matches()) {
          throw new IllegalArgumentException(where + " is not an option: give -x or --long-name");
        }
        options.put(entry.getKey(), rule(where, entry.getValue()));
      }
      allowed.put(fs, options);
    }
    return new MkfsArgsPolicy(allowed);
  }

  private static Rule rule(String where, ConfigValue value) {
    if (value.valueType() == ConfigValueType.LIST && !((List<?>) value.unwrapped()).isEmpty()) {
      Set<String> keys = new LinkedHashSet<>();
      for (Object key : (List<?>) value.unwrapped()) {
        keys.add(key.toString());
      }
      return new Rule(false, keys);
    }
    if (FLAG.equals(value.unwrapped())) {
      return Rule.FLAG_RULE;
    }
    if (ANY.equals(value.unwrapped())) {
      return Rule.ANY_VALUE;
    }
    throw new IllegalArgumentException(where + " is " + value.render() + "; give flag (takes no value),"
        + " \"*\" (one value of any content) or a non-empty list of sub-option names");
  }

  /** The options allowed for fs, each with how it takes its value, sorted by name. */
  public Map<String, Rule> allowed(FileSystemType fs) {
    return allowed.getOrDefault(fs, Map.of());
  }

  /** Passes, or throws PERMISSION_DENIED naming the first argument that is refused and what is accepted. */
  public void check(FileSystemType fs, List<String> args) throws VolumeException {
    Map<String, Rule> options = allowed.getOrDefault(fs, Map.of());
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String option = arg;
      String value = null;
      if (arg.equals("--")) {
        throw denied(fs, options, "\"--\" ends mkfs's options: whatever followed it would be a device");
      } else if (arg.startsWith("--")) {
        int eq = arg.indexOf('=');
        option = eq > 0 ? arg.substring(0, eq) : arg;
        value = eq > 0 ? arg.substring(eq + 1) : null;
      } else if (!arg.startsWith("-") || arg.length() == 1) {
        throw denied(fs, options, "\"" + arg + "\" stands on its own: mkfs would take it as a device or a"
            + " size. Only an allowed option, or the value right after an option that takes one, may appear");
      } else if (arg.length() > 2) {
        throw denied(fs, options, "\"" + arg + "\" is short options run together or a value attached to its"
            + " option; give each option as its own argument and its value as the next (-b 4096, not -b4096)");
      }
      Rule rule = options.get(option);
      if (rule == null) {
        throw denied(fs, options, "mkfs option " + option + " is not allowed for " + fs.wireName()
            + (option.startsWith("--") ? " (give a long option's full name)" : ""));
      }
      if (rule.flag()) {
        if (value != null) {
          throw denied(fs, options, "mkfs option " + option + " takes no value, got \"" + arg + "\"");
        }
        continue;
      }
      if (value == null) {
        if (i + 1 == args.size()) {
          throw denied(fs, options, "mkfs option " + option + " needs a value after it");
        }
        value = args.get(++i);
      }
      checkValue(fs, option, rule, value);
    }
  }

  private static void checkValue(FileSystemType fs, String option, Rule rule, String value) throws VolumeException {
    if (value.contains("/") || value.indexOf('\0') >= 0) {
      throw new VolumeException(ErrorCode.PERMISSION_DENIED, "the value \"" + value + "\" of mkfs option "
          + option + " names a path; mkfsArgs may only tune the new file system");
    }
    if (value.equals("list-all")) { // mkfs.btrfs -O/-R list-all prints a list and exits 0, formatting nothing
      throw new VolumeException(ErrorCode.PERMISSION_DENIED, "mkfs option " + option + " list-all only lists"
          + " what the tool knows and formats nothing; name the features to use");
    }
    if (rule.keys().isEmpty()) {
      return;
    }
    for (String part : value.split(",", -1)) {
      String key = part.contains("=") ? part.substring(0, part.indexOf('=')) : part;
      if (!rule.keys().contains(key)) {
        throw new VolumeException(ErrorCode.PERMISSION_DENIED, "mkfs option " + option + " " + key
            + " is not allowed for " + fs.wireName() + " (volumed.format.allowed-mkfs-args); allowed with "
            + option + ": " + String.join(", ", new TreeSet<>(rule.keys())));
      }
    }
  }

  private static VolumeException denied(FileSystemType fs, Map<String, Rule> options, String why) {
    StringBuilder accepted = new StringBuilder();
    options.forEach((option, rule) -> accepted.append(accepted.length() == 0 ? "" : ", ").append(rule.describe(option)));
    return new VolumeException(ErrorCode.PERMISSION_DENIED, why + ". Accepted for " + fs.wireName()
        + " (volumed.format.allowed-mkfs-args): " + (options.isEmpty() ? "none" : accepted)
        + (options.keySet().stream().anyMatch(o -> o.startsWith("--")) ? "; a long option also as --opt=value" : ""));
  }
}

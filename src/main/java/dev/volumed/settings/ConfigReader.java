package dev.volumed.settings;

import dev.volumed.model.Sizes;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.volumed.model.VolumeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Reads typed values of one section of the configuration. A value that is missing, of the wrong
 * type or out of range is not thrown: it becomes one line in the shared list of problems
 * ({@code volumed.socket.max-connections = 0: must be a whole number from 1 to 100000}) and
 * the read returns a harmless placeholder, so that every problem of a file is reported at once.
 */
final class ConfigReader {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._/:+-]+");

  private final Config config;
  private final String prefix;
  private final List<String> problems;
  /** A section that is not one was reported once; its keys are not reported missing one by one. */
  private final boolean reported;
  /** When read over defaults: the section's own keys; a bad inherited value is the defaults' to report. */
  private final Config own;

  ConfigReader(Config config, String prefix, List<String> problems) {
    this(config, prefix, problems, false, null);
  }

  private ConfigReader(Config config, String prefix, List<String> problems, boolean reported, Config own) {
    this.config = config;
    this.prefix = prefix;
    this.problems = problems;
    this.reported = reported;
    this.own = own;
  }

  /** This section read over {@code defaults}; only the values it sets itself are reported here. */
  ConfigReader over(Config defaults) {
    return new ConfigReader(config.withFallback(defaults), prefix, problems, reported, config);
  }

  /** The reader of a subsection; a subsection that is not a section is one problem (and read as empty). */
  ConfigReader section(String key) {
    int before = problems.size();
    Config sub = read(key, ConfigFactory.empty(), "must be a section { ... }", config::getConfig, c -> true);
    return new ConfigReader(sub, prefix + key + ".", problems, reported || problems.size() > before, null);
  }

  Config config() {
    return config;
  }

  /** The full name of a key of this section, as the operator writes it. */
  String name(String key) {
    return prefix + key;
  }

  List<String> problems() {
    return problems;
  }

  /** Records a problem with a key: {@code <key> = <value>: <what is accepted>}. */
  void refuse(String key, String accepted) {
    if (!reportsHere(key)) {
      return;
    }
    if (!config.hasPathOrNull(key)) {
      problems.add(name(key) + " is missing: " + accepted);
    } else {
      problems.add(name(key) + " = " + shown(config.getValue(key)) + ": " + accepted);
    }
  }

  private boolean reportsHere(String key) {
    return !reported && (own == null || own.hasPathOrNull(key));
  }

  Duration duration(String key, Duration min, Duration max) {
    String accepted = "must be a duration from " + human(min) + " to " + human(max) + ", like 30s, 10m or 1h";
    return read(key, min, accepted, config::getDuration, d -> d.compareTo(min) >= 0 && d.compareTo(max) <= 0);
  }

  int count(String key, int min, int max) {
    String accepted = "must be a whole number from " + min + " to " + max;
    return read(key, (long) min, accepted, this::wholeNumber, n -> n >= min && n <= max).intValue();
  }

  long bytes(String key, long min, long max) {
    String accepted = "must be a size from " + human(min) + " to " + human(max) + ", like 1048576 or \"1M\"";
    return read(key, min, accepted, config::getBytes, n -> n >= min && n <= max);
  }

  /** A size of at least {@code min}, or null for none. */
  OptionalLong optionalBytes(String key, long min) {
    if (config.hasPathOrNull(key) && config.getIsNull(key)) {
      return OptionalLong.empty();
    }
    String accepted = "must be null or a size of at least " + human(min) + ", like \"500G\"";
    return OptionalLong.of(read(key, min, accepted, config::getBytes, n -> n >= min));
  }

  /** A number in [{@code min}, {@code max}), or [{@code min}, ∞) when {@code max} is infinite. */
  double number(String key, double min, double max, String accepted) {
    return read(key, min, accepted, config::getDouble, d -> d >= min && (d < max || max == Double.POSITIVE_INFINITY)
        && Double.isFinite(d));
  }

  /** A string that {@code parse} turns into a {@code T}, or throws IllegalArgumentException for. */
  <T> T parsed(String key, T fallback, String accepted, Function<String, T> parse) {
    String text = read(key, null, accepted, config::getString, s -> true);
    if (text == null) {
      return fallback;
    }
    try {
      return parse.apply(text);
    } catch (IllegalArgumentException e) {
      refuse(key, accepted);
      return fallback;
    }
  }

  /** A user (or group) that exists on this host, by name or number, or null for none. */
  Optional<String> optionalId(String key, boolean user) {
    if (!config.hasPathOrNull(key) || config.getIsNull(key)) {
      return Optional.empty();
    }
    return Optional.of(id(config.getValue(key), key, user));
  }

  /** A list of users (or groups) that exist on this host, by name or number. */
  List<String> ids(String key, boolean user) {
    List<? extends ConfigValue> values = read(key, List.of(), user ? "must be a list like [\"alice\", 1001]"
        : "must be a list like [\"kvm\", 1001]",
        config::getList, l -> true);
    List<String> ids = new ArrayList<>();
    for (ConfigValue value : values) {
      ids.add(id(value, key, user));
    }
    return ids;
  }

  /** Resolved now, as a create would resolve it, so that a typo stops the start and not a create. */
  private String id(ConfigValue value, String key, boolean user) {
    String id = String.valueOf(value.unwrapped());
    try {
      if (value.valueType() == ConfigValueType.STRING || value.valueType() == ConfigValueType.NUMBER) {
        HostIds.idOf(id, user);
        return id;
      }
    } catch (VolumeException e) {
      // neither a name this host knows nor a number: said below
    }
    if (reportsHere(key)) {
      problems.add(name(key) + " = " + shown(value) + ": " + (user
          ? "must be a user name that exists on this host or a numeric uid"
          : "must be a group name that exists on this host or a numeric gid"));
    }
    return "";
  }

  private Long wholeNumber(String key) {
    ConfigValue value = config.getValue(key);
    if (value.valueType() != ConfigValueType.NUMBER || !(value.unwrapped() instanceof Integer
        || value.unwrapped() instanceof Long)) {
      throw new ConfigException.WrongType(value.origin(), key, "whole number", value.valueType().name());
    }
    return ((Number) value.unwrapped()).longValue();
  }

  private <T> T read(String key, T fallback, String accepted, Function<String, T> get, Predicate<T> ok) {
    try {
      T value = get.apply(key);
      if (ok.test(value)) {
        return value;
      }
    } catch (ConfigException e) {
      // missing, null, of the wrong type or unreadable: said below with what is accepted
    }
    refuse(key, accepted);
    return fallback;
  }

  /** A value as the operator wrote it, on one line: {@code 0s}, {@code "my value"}, {@code [1, 2]}. */
  static String shown(ConfigValue value) {
    if (value.valueType() == ConfigValueType.STRING) {
      String s = (String) value.unwrapped();
      return PLAIN.matcher(s).matches() ? s : ConfigUtil.quoteString(s);
    }
    return value.render(ConfigRenderOptions.concise());
  }

  /** {@code 1s}, {@code 100ms}, {@code 30d}: the largest unit that states it exactly. */
  static String human(Duration d) {
    long ms = d.toMillis();
    long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L};
    String[] units = {"d", "h", "m", "s"};
    for (int i = 0; i < sizes.length; i++) {
      if (ms != 0 && ms % sizes[i] == 0) {
        return ms / sizes[i] + units[i];
      }
    }
    return ms == 0 ? "0s" : ms + "ms";
  }

  /** {@code 1 KiB}, {@code 64 MiB}: see {@link Sizes#exact}. */
  static String human(long bytes) {
    return Sizes.exact(bytes);
  }
}

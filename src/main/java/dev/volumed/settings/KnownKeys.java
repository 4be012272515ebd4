package dev.volumed.settings;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.Set;
import java.util.TreeSet;

/**
 * A key of the {@code volumed} section that the packaged defaults do not have is a misspelling or
 * a setting this volumed does not know (it would be ignored without a word): it is refused, with
 * the keys that section does know. A pool section knows the keys of {@code pool-defaults} and
 * {@code path}. Free-form sections (the mkfs allowlist, the dispatchers) are not checked here.
 */
final class KnownKeys {
  private static final Set<String> FREE_FORM =
      Set.of("format.allowed-mkfs-args", "format.ext-options", "blocking-dispatcher", "socket-dispatcher");

  private KnownKeys() {}

  static void check(ConfigReader volumed) {
    ConfigObject packaged = ConfigFactory.parseResources(KnownKeys.class.getClassLoader(), "application.conf")
        .resolve().getObject("volumed");
    ConfigObject actual = volumed.config().root();
    compare(volumed, "", actual, packaged);
    if (actual.get("pools") instanceof ConfigObject pools && packaged.get("pool-defaults") instanceof ConfigObject d) {
      Set<String> poolKeys = new TreeSet<>(d.keySet());
      poolKeys.add("path");
      for (String name : pools.keySet()) {
        if (pools.get(name) instanceof ConfigObject pool) {
          String path = "pools." + ConfigUtil.joinPath(name) + ".";
          for (String key : pool.keySet()) {
            if (!poolKeys.contains(key)) {
              unknown(volumed, path + ConfigUtil.joinPath(key), poolKeys);
            } else if (d.get(key) instanceof ConfigObject known && pool.get(key) instanceof ConfigObject inner) {
              compare(volumed, path + ConfigUtil.joinPath(key) + ".", inner, known); // e.g. watermarks
            }
          }
        }
      }
    }
  }

  private static void compare(ConfigReader volumed, String path, ConfigObject actual, ConfigObject packaged) {
    for (String key : actual.keySet()) {
      String full = path + ConfigUtil.joinPath(key);
      ConfigValue known = packaged.get(key);
      if (known == null) {
        unknown(volumed, full, packaged.keySet());
      } else if (!full.equals("pools") && !FREE_FORM.contains(full)
          && known.valueType() == ConfigValueType.OBJECT && actual.get(key) instanceof ConfigObject inner) {
        compare(volumed, full + ".", inner, (ConfigObject) known);
      }
    }
  }

  private static void unknown(ConfigReader volumed, String key, Set<String> known) {
    volumed.problems().add(volumed.name(key) + " is not a setting volumed knows (misspelt?); the keys here are: "
        + String.join(", ", new TreeSet<>(known)));
  }
}

package dev.volumed;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import dev.volumed.model.Watermarks;
import dev.volumed.settings.PoolSettings;
import dev.volumed.settings.Settings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code volumed --check-config FILE}: every key checked as a start would check it, and the pools
 * that would be served printed; nothing is started or created (no folder, no socket, no lock).
 */
final class ConfigCheck {
  /** Exit codes: the file would start volumed; it would not. */
  static final int GOOD = 0;
  static final int BAD = 2;

  private ConfigCheck() {}

  /** The problems (one line each, naming the key) go to err; what would be served to out. */
  static int run(Path file, Config config, PrintStream out, PrintStream err) {
    Settings.Loaded loaded = Settings.load(config);
    if (loaded instanceof Settings.Invalid invalid) {
      invalid.problems().forEach(problem -> err.println("volumed: " + problem));
      err.println("volumed: " + file + ": " + invalid.problems().size()
          + (invalid.problems().size() == 1 ? " problem" : " problems") + "; volumed would not start");
      return BAD;
    }
    Settings settings = ((Settings.Valid) loaded).settings();
    out.println(file + ": good; volumed would serve:");
    out.println("  socket " + settings.socket().path() + " (mode "
        + PosixFilePermissions.toString(settings.socket().mode())
        + "), unless systemd hands over a socket (volumed.socket), which is served instead");
    for (PoolSettings pool : settings.pools()) {
      out.println("  pool " + pool.name() + ": path " + pool.path()
          + relative(config, pool.name())
          + ", capacity " + (pool.capacity().isPresent() ? pool.capacity().getAsLong() + " bytes"
              : "the size of its file system")
          + ", max-overcommit-ratio " + pool.maxOvercommitRatio()
          + ", reserved-percent " + pool.reservedPercent()
          + ", watermarks " + Watermarks.percent(pool.watermarks().warnPercent()) + "/"
          + Watermarks.percent(pool.watermarks().criticalPercent()) + "/"
          + Watermarks.percent(pool.watermarks().fullPercent()) + " %"
          + ", default " + pool.defaultAllocation().wireName() + " " + pool.defaultFs().wireName());
    }
    settings.csi().endpoint().ifPresent(endpoint -> out.println("  CSI driver " + settings.csi().driverName()
        + " as node " + settings.csi().nodeId() + " (topology " + settings.csi().topologyKey() + "="
        + settings.csi().nodeId() + ") on unix://" + endpoint));
    return GOOD;
  }

  /** A relative pool path resolves against the working directory, which under systemd is "/". */
  private static String relative(Config config, String pool) {
    String key = "volumed.pools." + ConfigUtil.joinPath(pool) + ".path";
    if (config.hasPath(key) && !Path.of(config.getString(key)).isAbsolute()) {
      return " (written relative: resolved against this working directory; under systemd that is /)";
    }
    return "";
  }
}

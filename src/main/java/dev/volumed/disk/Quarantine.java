package dev.volumed.disk;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * {@code <pool>/.volumed/quarantine/}: where a file of volumed's own that cannot be read (a corrupt
 * metadata file or batch note, or a folder where one should be) is moved, whole and untouched, so
 * the pool can load without it and a person can look at it later. Nothing is ever deleted from it.
 */
final class Quarantine {
  static final String DIR = ".volumed/quarantine";
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Quarantine() {}

  /**
   * Moves name (relative to the pool's root, under .volumed/) into the quarantine as
   * {@code <its path under .volumed with / as +>.<UTC time>}, e.g. {@code meta+vm1+root.img.json.20261201T193000.123Z};
   * returns where it went. Never follows a symlink, never replaces anything.
   */
  static Path move(Path root, String name) throws VolumeException {
    String flat = name.substring(name.indexOf('/') + 1).replace('/', '+') + "." + STAMP.format(Instant.now());
    try (PoolDir from = PoolWalk.walk(root, name, false);
         PoolDir to = PoolWalk.walkToFolder(root, DIR, true)) {
      for (int attempt = 0; ; attempt++) {
        String leaf = attempt == 0 ? flat : flat + "-" + attempt;
        try {
          from.moveTo(PoolWalk.leafOf(name), to, leaf);
          to.sync();
          from.sync();
          return to.pathOf(leaf);
        } catch (VolumeException e) {
          if (e.code() != ErrorCode.ALREADY_EXISTS || attempt >= 100) {
            throw e;
          }
        }
      }
    }
  }
}

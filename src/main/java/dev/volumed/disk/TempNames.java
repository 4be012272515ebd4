package dev.volumed.disk;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Names of files still being made: hidden (a leading '.') so they are never a valid volume name, in the
 * same folder as the file they become, so publishing is one rename.
 */
final class TempNames {
  private static final String MARKER = ".volumed-tmp-";
  private static final SecureRandom RANDOM = new SecureRandom();

  private TempNames() {}

  /** ".var.img.volumed-tmp-<16 hex digits>" for "var.img". */
  static String forLeaf(String leaf) {
    byte[] suffix = new byte[8];
    RANDOM.nextBytes(suffix);
    return "." + leaf + MARKER + HexFormat.of().formatHex(suffix);
  }

  /** True for names made by {@link #forLeaf}: leftovers of an interrupted creation or write. */
  static boolean isTemp(String fileName) {
    return fileName.startsWith(".") && fileName.contains(MARKER);
  }
}

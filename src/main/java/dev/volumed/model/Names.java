package dev.volumed.model;

import java.util.regex.Pattern;

/**
 * The rules for names under a pool. Every name a walk from the pool's root takes (a volume's, or
 * volumed's own such as ".volumed/meta/vm1/root.img.json") is a relative path: no leading '/', no
 * empty, "." or ".." segment, no NUL, so it cannot leave the pool ({@link #pathProblem}). A volume's
 * name is stricter still ({@link #problem}). Both say what is wrong in the same words.
 */
public final class Names {
  public static final int MAX_LENGTH = 255;
  public static final int MAX_SEGMENTS = 4;
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  /** A segment of a path inside the pool: anything but empty or a NUL ('/' separates segments). */
  private static final Pattern PATH_SEGMENT = Pattern.compile("[^\\x00]+");
  private static final String REQUIRED = "a volume name is required, e.g. \"vm1/root.img\"";
  private static final String ACCEPTED = "; a name is 1 to " + MAX_SEGMENTS + " segments separated by '/', each"
      + " starting with a letter or digit followed by up to 127 of [A-Za-z0-9._-], at most " + MAX_LENGTH
      + " characters, e.g. \"vm1/root.img\"";

  private Names() {}

  /**
   * Null when the name is a valid volume name: 1 to 4 segments of [A-Za-z0-9._-] starting with a
   * letter or digit, at most 255 characters; else a sentence saying what is wrong and what is accepted.
   */
  public static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return REQUIRED;
    }
    if (name.length() > MAX_LENGTH) {
      return "name is " + name.length() + " characters long" + ACCEPTED;
    }
    if (name.startsWith("/")) {
      return absolute(name);
    }
    String[] segments = name.split("/", -1);
    if (segments.length > MAX_SEGMENTS) {
      return "name \"" + name + "\" has " + segments.length + " segments" + ACCEPTED;
    }
    return segmentProblem(name, segments, SEGMENT);
  }

  /**
   * Null when name is a relative path that stays inside the pool (volumed's own files included); else
   * the sentence {@link #problem} gives for the same fault.
   */
  public static String pathProblem(String name) {
    if (name == null || name.isEmpty()) {
      return REQUIRED;
    }
    if (name.startsWith("/")) {
      return absolute(name);
    }
    return segmentProblem(name, name.split("/", -1), PATH_SEGMENT);
  }

  private static String absolute(String name) {
    return "name \"" + name + "\" is absolute; names are relative to the pool" + ACCEPTED;
  }

  private static String segmentProblem(String name, String[] segments, Pattern allowed) {
    for (String segment : segments) {
      if (segment.equals(".") || segment.equals("..")) {
        return "name \"" + name + "\" contains a \"" + segment + "\" segment" + ACCEPTED;
      }
      if (!allowed.matcher(segment).matches()) {
        return "name \"" + name + "\" has an invalid segment \"" + segment + "\"" + ACCEPTED;
      }
    }
    return null;
  }
}

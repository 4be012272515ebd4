package dev.volumed.model;

import java.util.regex.Pattern;

/** The rules for volume names (DESIGN.md, "name"). */
public final class Names {
  public static final int MAX_LENGTH = 255;
  public static final int MAX_SEGMENTS = 4;
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private Names() {}

  /** Null when the name is valid, else a sentence saying what is wrong and what is accepted. */
  public static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return "a volume name is required, e.g. \"vm1/root.img\"";
    }
    String accepted = "; a name is 1 to " + MAX_SEGMENTS + " segments separated by '/', each starting"
        + " with a letter or digit followed by up to 127 of [A-Za-z0-9._-], at most " + MAX_LENGTH
        + " characters, e.g. \"vm1/root.img\"";
    if (name.length() > MAX_LENGTH) {
      return "name is " + name.length() + " characters long" + accepted;
    }
    if (name.startsWith("/")) {
      return "name \"" + name + "\" is absolute; names are relative to the pool" + accepted;
    }
    String[] segments = name.split("/", -1);
    if (segments.length > MAX_SEGMENTS) {
      return "name \"" + name + "\" has " + segments.length + " segments" + accepted;
    }
    for (String segment : segments) {
      if (segment.equals(".") || segment.equals("..")) {
        return "name \"" + name + "\" contains a \"" + segment + "\" segment" + accepted;
      }
      if (!SEGMENT.matcher(segment).matches()) {
        return "name \"" + name + "\" has an invalid segment \"" + segment + "\"" + accepted;
      }
    }
    return null;
  }
}

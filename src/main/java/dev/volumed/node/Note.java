package dev.volumed.node;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * What volumed made (or was making) at one path for one volume: a stage (the image attached to a
 * loop device, and for a mount volume its file system mounted at the staging path) or a publish
 * (a bind of the staging path, or of the device, onto the target path). Written before the work
 * ({@code done} false) and again after it ({@code done} true): a note found not done after a crash
 * names work that is undone at start-up.
 *
 * @param target the staging path of a stage, the target path of a publish
 * @param device the loop device, once one is picked
 * @param fsType the file system mounted (a mount stage); empty for block
 * @param mountFlags the mount flags a mount stage was asked for (a stage asked again with others
 *     is not the same stage); empty for block
 * @param ownDevice a publish with a loop device of its own (a read-only publish of a block volume staged
 *     read-write: a read-only bind of a device file would not stop writes, a read-only device does)
 */
public record Note(Kind kind, String volumeId, Path target, Path image, FileKey imageKey, boolean block,
    boolean readOnly, String fsType, List<String> mountFlags, Optional<Path> device, boolean done,
    boolean ownDevice) {

  public enum Kind { STAGE, PUBLISH }

  public Note {
    mountFlags = List.copyOf(mountFlags);
  }

  public Note withDevice(Path device) {
    return new Note(kind, volumeId, target, image, imageKey, block, readOnly, fsType, mountFlags, Optional.of(device), done,
        ownDevice);
  }

  public Note completed() {
    return new Note(kind, volumeId, target, image, imageKey, block, readOnly, fsType, mountFlags, device, true, ownDevice);
  }

  /** The publish of this stage at target, through the stage's device. */
  public Note publishedAt(Path at, boolean readOnlyPublish) {
    return new Note(Kind.PUBLISH, volumeId, at, image, imageKey, block, readOnlyPublish, fsType, mountFlags, device, false,
        false);
  }

  /** The publish of this stage at target through a read-only loop device of its own, not yet picked. */
  public Note publishedReadOnlyOnOwnDevice(Path at) {
    return new Note(Kind.PUBLISH, volumeId, at, image, imageKey, block, true, fsType, mountFlags, Optional.empty(), false,
        true);
  }

  Properties properties() {
    Properties p = new Properties();
    p.setProperty("kind", kind.name().toLowerCase(Locale.ROOT));
    p.setProperty("volume", volumeId);
    p.setProperty("target", target.toString());
    p.setProperty("image", image.toString());
    p.setProperty("image-key", imageKey.toString());
    p.setProperty("access", block ? "block" : "mount");
    p.setProperty("read-only", Boolean.toString(readOnly));
    p.setProperty("fs", fsType);
    // A flag holds no comma (NodeAccess refuses one), so the list is written joined by commas.
    p.setProperty("mount-flags", String.join(",", mountFlags));
    device.ifPresent(d -> p.setProperty("device", d.toString()));
    p.setProperty("done", Boolean.toString(done));
    p.setProperty("own-device", Boolean.toString(ownDevice));
    return p;
  }

  static Note of(Properties p) {
    return new Note(Kind.valueOf(required(p, "kind").toUpperCase(Locale.ROOT)), required(p, "volume"),
        Path.of(required(p, "target")), Path.of(required(p, "image")), FileKey.parse(required(p, "image-key")),
        required(p, "access").equals("block"), Boolean.parseBoolean(required(p, "read-only")), p.getProperty("fs", ""),
        flags(p.getProperty("mount-flags", "")), Optional.ofNullable(p.getProperty("device")).map(Path::of), Boolean.parseBoolean(required(p, "done")),
        Boolean.parseBoolean(p.getProperty("own-device", "false")));
  }

  private static List<String> flags(String joined) {
    return joined.isEmpty() ? List.of() : List.of(joined.split(","));
  }

  private static String required(Properties p, String key) {
    String value = p.getProperty(key);
    if (value == null) {
      throw new IllegalArgumentException("no " + key);
    }
    return value;
  }
}

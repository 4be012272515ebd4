package dev.volumed.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What holds a volume's image open: a process (an open descriptor or a mapping of the image's
 * inode) or a loop device backed by it. A volume with a holder is <em>in use</em>: deleting or
 * rewriting it would pull a disk from under a running VM.
 */
public sealed interface Holder {

  /** {@code pid 4242 (cloud-hypervisor)}, {@code /dev/loop3}: how a message names it. */
  String describe();

  /** {@code {"pid", "command"}} or {@code {"device"}}, as get and details.holders list it. */
  Map<String, Object> fields();

  record Process(long pid, String command) implements Holder {
    @Override
    public String describe() {
      return "pid " + pid + " (" + command + ")";
    }

    @Override
    public Map<String, Object> fields() {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("pid", pid);
      fields.put("command", command);
      return fields;
    }
  }

  record LoopDevice(String device) implements Holder {
    @Override
    public String describe() {
      return "loop device " + device;
    }

    @Override
    public Map<String, Object> fields() {
      return Map.of("device", device);
    }
  }

  /**
   * BUSY for an op on a volume in use, naming each holder in the message and listing them in
   * {@code details.holders}. The one refusal of every op that may not touch a held image.
   */
  static VolumeException inUse(String op, String name, String pool, List<Holder> holders) {
    String who = holders.stream().map(Holder::describe).collect(Collectors.joining(", "));
    return new VolumeException(ErrorCode.BUSY, "volume " + name + " in pool " + pool + " is in use by " + who
        + "; " + op + " is refused while anything holds its image open: stop the VM (or detach the loop"
        + " device) and try again", Map.of("holders", holders.stream().map(Holder::fields).toList()), null);
  }
}

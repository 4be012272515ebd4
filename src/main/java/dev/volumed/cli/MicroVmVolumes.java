package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns microvm.nix's {@code config.microvm.volumes}, as {@code nix eval --json} prints it, into
 * the volumes of a batch. The option set is microvm.nix's {@code nixos-modules/microvm/options.nix};
 * what its {@code lib/volumes.nix} does with them (touch, chattr +C, truncate -s SIZEM, mkfs.FS -L
 * LABEL EXTRA-ARGS) is what volumed does here.
 *
 * <p>{@code image} → name: PREFIX + the image's file name (volumed names are relative to the pool,
 * so the directory is dropped); {@code size} (MiB) → {@code "<size>M"}; {@code fsType} → fs
 * (default ext4, as in microvm.nix, sent even when absent so the pool's default-fs does not
 * apply); {@code label} → label; {@code mkfsExtraArgs} → mkfsArgs; allocation is always sparse.
 * Volumes with {@code autoCreate = false} are skipped. mountPoint, serial, direct, readOnly and
 * imageType only matter to the guest or the hypervisor, and are ignored.
 */
final class MicroVmVolumes {
  /** microvm.nix's default fsType (lib/default.nix: defaultFsType). */
  static final String DEFAULT_FS = "ext4";

  /** Fields read; every other one is ignored. */
  static final List<String> IGNORED = List.of("mountPoint", "serial", "direct", "readOnly", "imageType");

  /** One volume to create: the microvm.nix image it comes from, and its create arguments. */
  record Mapped(String image, ObjectNode volume) {}

  /** What to create, in the file's order, and the images skipped because autoCreate is false. */
  record Plan(List<Mapped> create, List<String> skipped) {
    Plan {
      create = List.copyOf(create);
      skipped = List.copyOf(skipped);
    }

    /** The batch's {@code volumes} array. */
    ArrayNode volumes() {
      ArrayNode array = Json.MAPPER.createArrayNode();
      create.forEach(m -> array.add(m.volume().deepCopy()));
      return array;
    }
  }

  private MicroVmVolumes() {}

  static Plan plan(JsonNode list, String prefix) throws InputException {
    if (list == null || !list.isArray()) {
      throw new InputException("expected a JSON array of microvm.nix volumes (nix eval --json"
          + " .#nixosConfigurations.HOST.config.microvm.volumes), got " + kind(list));
    }
    List<Mapped> create = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    Map<String, String> imageOfName = new LinkedHashMap<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode v = list.get(i);
      String at = "volumes[" + i + "]";
      if (!v.isObject()) {
        throw new InputException(at + " is " + kind(v) + ", not an object with image, size, fsType, ...");
      }
      JsonNode imageNode = v.get("image");
      if (imageNode == null || !imageNode.isTextual() || imageNode.asText().isEmpty()) {
        throw new InputException(at + " has no \"image\" path");
      }
      String image = imageNode.asText();
      at = at + " (" + image + ")";
      if (!bool(v, "autoCreate", true, at)) {
        skipped.add(image);
        continue;
      }
      String name = prefix + fileName(image, at);
      String earlier = imageOfName.putIfAbsent(name, image);
      if (earlier != null) {
        throw new InputException(at + " and " + earlier + " would both be " + name
            + ": volumed keeps only the file name of an image; give them different file names");
      }

      ObjectNode volume = Json.MAPPER.createObjectNode();
      volume.put("name", name);
      volume.put("size", size(v.get("size"), at) + "M");
      String fs = optionalText(v, "fsType", at);
      volume.put("fs", fs == null ? DEFAULT_FS : fs);
      String label = optionalText(v, "label", at);
      if (label != null) {
        volume.put("label", label);
      }
      List<String> extra = strings(v.get("mkfsExtraArgs"), at);
      if (!extra.isEmpty()) {
        ArrayNode args = volume.putArray("mkfsArgs");
        extra.forEach(args::add);
      }
      volume.put("allocation", "sparse");
      create.add(new Mapped(image, volume));
    }
    return new Plan(create, skipped);
  }

  /** The last segment of a path: var.img of /var/lib/microvms/vm1/var.img. */
  static String fileName(String image, String at) throws InputException {
    String name = image.substring(image.lastIndexOf('/') + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new InputException(at + ": \"image\" should end in a file name, like var.img");
    }
    return name;
  }

  private static long size(JsonNode size, String at) throws InputException {
    if (size == null || size.isNull()) {
      throw new InputException(at + " has no \"size\"; microvm.nix needs one (in MiB) for autoCreate volumes");
    }
    if (!size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() <= 0) {
      throw new InputException(at + ": \"size\" must be a positive whole number of MiB, got " + size);
    }
    return size.asLong();
  }

  private static boolean bool(JsonNode v, String field, boolean otherwise, String at) throws InputException {
    JsonNode value = v.get(field);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    if (!value.isBoolean()) {
      throw new InputException(at + ": \"" + field + "\" must be true or false, got " + value);
    }
    return value.booleanValue();
  }

  private static String optionalText(JsonNode v, String field, String at) throws InputException {
    JsonNode value = v.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      throw new InputException(at + ": \"" + field + "\" must be a string or null, got " + value);
    }
    return value.asText();
  }

  private static List<String> strings(JsonNode array, String at) throws InputException {
    if (array == null || array.isNull()) {
      return List.of();
    }
    String problem = at + ": \"mkfsExtraArgs\" must be a list of strings, got " + array;
    if (!array.isArray()) {
      throw new InputException(problem);
    }
    List<String> result = new ArrayList<>();
    for (JsonNode item : array) {
      if (!item.isTextual()) {
        throw new InputException(problem);
      }
      result.add(item.asText());
    }
    return result;
  }

  static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    };
  }
}

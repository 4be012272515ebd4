package dev.volumed.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Labels;
import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.Sizes;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One volume's create arguments (name, size, fs, label, allocation, mkfsArgs) as the client wrote
 * them: any JSON, since volumectl sends a batch file's objects as they are. Only {@link #spec}
 * checks them, against the pool the volume goes into, so every client gets the daemon's wording.
 */
public record VolumeArgs(JsonNode fields) {
  /** The create arguments a request may carry, in the order they are written. */
  static final List<String> NAMES = List.of("name", "size", "fs", "label", "allocation", "mkfsArgs");

  /** A size of digits only is sent as the protocol's integer of bytes; anything else as text. */
  private static final Pattern PLAIN_BYTES = Pattern.compile("[0-9]{1,18}");

  /** Numbers by value, everything else as Jackson compares it. */
  private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> {
    if (a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue());
    }
    return a.equals(b) ? 0 : 1;
  };

  public VolumeArgs {
    fields = fields.deepCopy();
  }

  /** The same arguments: numbers are equal by value (4096 read as an int equals 4096 put as a long). */
  @Override
  public boolean equals(Object other) {
    return other instanceof VolumeArgs args && fields.equals(SAME_VALUE, args.fields);
  }

  /** Equal arguments name the same fields (and non-objects are of the same kind). */
  @Override
  public int hashCode() {
    Set<String> names = new HashSet<>();
    fields.fieldNames().forEachRemaining(names::add);
    return 31 * fields.getNodeType().hashCode() + names.hashCode();
  }

  /**
   * Only the arguments given, so the daemon applies the pool's defaults. {@code size} as given:
   * a plain byte count as an integer, anything else ("10G", "512MiB", garbage) as text, which
   * the daemon parses and checks.
   */
  public static VolumeArgs given(String name, String size, Optional<String> fs, Optional<String> label,
      Optional<String> allocation, List<String> mkfsArgs) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("name", name);
    if (PLAIN_BYTES.matcher(size).matches()) {
      node.put("size", Long.parseLong(size));
    } else {
      node.put("size", size);
    }
    fs.ifPresent(v -> node.put("fs", v));
    label.ifPresent(v -> node.put("label", v));
    allocation.ifPresent(v -> node.put("allocation", v));
    if (!mkfsArgs.isEmpty()) {
      mkfsArgs.forEach(node.putArray("mkfsArgs")::add);
    }
    return new VolumeArgs(node);
  }

  /** The create arguments of a create request (its other fields left behind). */
  static VolumeArgs of(JsonNode request) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    for (String field : NAMES) {
      if (request.has(field)) {
        node.set(field, request.get(field));
      }
    }
    return new VolumeArgs(node);
  }

  /** The spec these arguments ask for, with the pool's defaults applied; checked in this order. */
  public VolumeSpec spec(PoolDefaults pool, MkfsArgsPolicy policy) throws VolumeException {
    String name = Requests.name(fields);
    long size = size(fields.get("size"));
    FileSystemType fs = Requests.enumArgument(fields, "fs", FileSystemType.values(), FileSystemType::wireName,
        FileSystemType::fromWire).orElse(pool.fs());
    Allocation allocation = Requests.enumArgument(fields, "allocation", Allocation.values(), Allocation::wireName,
        Allocation::fromWire).orElse(pool.allocation());
    Optional<String> label = Requests.optionalString(fields, "label");
    Labels.check(fs, label.orElse(null));
    List<String> mkfsArgs = mkfsArgs(fs);
    policy.check(fs, mkfsArgs);
    return new VolumeSpec(name, size, fs, label, mkfsArgs, allocation);
  }

  /**
   * A positive number of bytes, or text in the size grammar of {@link Sizes#parse}; either way
   * whole 4 KiB blocks ({@value Requests#SIZE_ALIGNMENT} bytes), the unit images are made of.
   */
  static long size(JsonNode size) throws VolumeException {
    String accepted = "; give a positive number of bytes, or a string like \"512M\" or \"10G\""
        + " (units K, M, G, T or KiB, MiB, GiB, TiB), a multiple of 4096 bytes";
    long bytes;
    if (size == null || size.isNull()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "\"size\" is required" + accepted);
    } else if (size.isIntegralNumber() && size.canConvertToLong()) {
      bytes = size.asLong();
    } else if (size.isTextual()) {
      try {
        bytes = Sizes.parse(size.asText());
      } catch (IllegalArgumentException e) {
        throw new VolumeException(ErrorCode.BAD_REQUEST, e.getMessage() + accepted);
      }
    } else {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "\"size\" " + size + " is not a size" + accepted);
    }
    if (bytes <= 0) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "\"size\" must be positive, got " + size + accepted);
    }
    if (bytes % Requests.SIZE_ALIGNMENT != 0) {
      throw new VolumeException(ErrorCode.BAD_REQUEST,
          "\"size\" " + size + " (" + bytes + " bytes) is not a multiple of 4096 bytes" + accepted);
    }
    return bytes;
  }

  /** Strings without NUL; none for fs "none", which runs no mkfs. */
  private List<String> mkfsArgs(FileSystemType fs) throws VolumeException {
    JsonNode args = fields.get("mkfsArgs");
    if (args == null || args.isNull()) {
      return List.of();
    }
    if (!args.isArray()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST,
          "\"mkfsArgs\" must be an array of strings, e.g. [\"-O\", \"^has_journal\"]");
    }
    if (fs == FileSystemType.NONE && !args.isEmpty()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "fs \"none\" is not formatted; leave \"mkfsArgs\" out");
    }
    List<String> result = new ArrayList<>();
    for (JsonNode arg : args) {
      if (!arg.isTextual() || arg.asText().indexOf('\0') >= 0) {
        throw new VolumeException(ErrorCode.BAD_REQUEST, "\"mkfsArgs\" must hold only strings, got " + arg);
      }
      result.add(arg.asText());
    }
    return result;
  }
}

package dev.volumed.protocol;

import dev.volumed.model.VolumeException;
import dev.volumed.model.ErrorCode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Labels;
import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.Names;
import dev.volumed.model.VolumeSpec;
import dev.volumed.settings.PoolSettings;
import dev.volumed.model.Sizes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Reads and checks the arguments of requests; every problem is a {@link VolumeException} with its code. */
public final class Requests {
  /** Image sizes must be whole 4 KiB blocks. */
  public static final long SIZE_ALIGNMENT = 4096;

  /** Every reply echoes its request's id, so an id is short: a longer one is refused. */
  public static final int MAX_ID_BYTES = 128;

  private Requests() {}

  /**
   * The request's {@code id}: absent (null), a number of at most 128 characters, or a string of
   * at most 128 bytes in UTF-8. Anything else is BAD_REQUEST (answered with a null id).
   */
  public static JsonNode id(JsonNode request) throws VolumeException {
    JsonNode id = request.get("id");
    String refused;
    if (id == null || id.isNull()) {
      return id;
    } else if (id.isNumber()) {
      int length = id.toString().length();
      if (length <= MAX_ID_BYTES) {
        return id;
      }
      refused = "a number of " + length + " characters";
    } else if (id.isTextual()) {
      String text = id.textValue();
      // A char is at least one byte, so a long string is refused without encoding it.
      int bytes = text.length() > MAX_ID_BYTES ? -1 : text.getBytes(StandardCharsets.UTF_8).length;
      if (bytes >= 0 && bytes <= MAX_ID_BYTES) {
        return id;
      }
      refused = "a string of " + (bytes < 0 ? text.length() + " characters" : bytes + " bytes");
    } else {
      refused = id.isObject() ? "an object" : id.isArray() ? "an array" : "a " + id.getNodeType().name().toLowerCase();
    }
    throw new VolumeException(ErrorCode.BAD_REQUEST, "\"id\" is " + refused
        + "; it must be a number or a string of at most " + MAX_ID_BYTES + " bytes (UTF-8)");
  }

  public static String op(JsonNode request) throws VolumeException {
    JsonNode op = request.get("op");
    if (op == null || !op.isTextual()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST,
          "every request needs an \"op\" string: ping, pools, create, batch, get, list or delete");
    }
    return op.asText();
  }

  /** The pool argument, {@code "default"} when absent. */
  public static String pool(JsonNode request) throws VolumeException {
    return optionalString(request, "pool").orElse("default");
  }

  public static String name(JsonNode request) throws VolumeException {
    String name = optionalString(request, "name").orElse(null);
    String problem = Names.problem(name);
    if (problem != null) {
      throw new VolumeException(ErrorCode.INVALID_NAME, problem);
    }
    return name;
  }

  /** A create request's arguments with the pool's defaults applied. */
  public static VolumeSpec volumeSpec(JsonNode request, PoolSettings pool, MkfsArgsPolicy policy)
      throws VolumeException {
    String name = name(request);
    long size = size(request.get("size"));
    FileSystemType fs = enumArgument(request, "fs", FileSystemType.values(), FileSystemType::wireName,
        FileSystemType::fromWire).orElse(pool.defaultFs());
    Allocation allocation = enumArgument(request, "allocation", Allocation.values(), Allocation::wireName,
        Allocation::fromWire).orElse(pool.defaultAllocation());
    Optional<String> label = label(request, fs);
    List<String> mkfsArgs = mkfsArgs(request, fs);
    policy.check(fs, mkfsArgs);
    return new VolumeSpec(name, size, fs, label, mkfsArgs, allocation);
  }

  /** A batch's volumes, each checked as a create request's arguments without "pool". */
  public static List<VolumeSpec> batchSpecs(JsonNode request, PoolSettings pool, MkfsArgsPolicy policy,
      int maxVolumes) throws VolumeException {
    JsonNode volumes = request.get("volumes");
    if (volumes == null || !volumes.isArray() || volumes.isEmpty()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST,
          "a batch needs \"volumes\": a non-empty array of create arguments (name, size, fs, ...)");
    }
    if (volumes.size() > maxVolumes) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "a batch may name at most " + maxVolumes
          + " volumes (volumed.batch.max-volumes), this one names " + volumes.size() + "; split it");
    }
    List<VolumeSpec> specs = new ArrayList<>();
    for (int i = 0; i < volumes.size(); i++) {
      JsonNode volume = volumes.get(i);
      try {
        if (!volume.isObject()) {
          throw new VolumeException(ErrorCode.BAD_REQUEST, "it is not an object of create arguments");
        }
        if (volume.has("pool")) {
          throw new VolumeException(ErrorCode.BAD_REQUEST,
              "it names a pool; a batch has one pool, given beside \"volumes\"");
        }
        specs.add(volumeSpec(volume, pool, policy));
      } catch (VolumeException e) {
        throw new VolumeException(e.code(), "volumes[" + i + "]: " + e.getMessage(),
            Map.of("index", i), null);
      }
    }
    return specs;
  }

  /** A boolean argument, {@code otherwise} when absent. */
  public static boolean flag(JsonNode request, String field, boolean otherwise) throws VolumeException {
    JsonNode value = request.get(field);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    if (!value.isBoolean()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "\"" + field + "\" must be true or false, got " + value);
    }
    return value.asBoolean();
  }

  public static long size(JsonNode size) throws VolumeException {
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
    if (bytes % SIZE_ALIGNMENT != 0) {
      throw new VolumeException(ErrorCode.BAD_REQUEST,
          "\"size\" " + size + " (" + bytes + " bytes) is not a multiple of 4096 bytes" + accepted);
    }
    return bytes;
  }

  private static Optional<String> label(JsonNode request, FileSystemType fs) throws VolumeException {
    Optional<String> label = optionalString(request, "label");
    Labels.check(fs, label.orElse(null));
    return label;
  }

  private static List<String> mkfsArgs(JsonNode request, FileSystemType fs) throws VolumeException {
    JsonNode args = request.get("mkfsArgs");
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

  private static Optional<String> optionalString(JsonNode request, String field) throws VolumeException {
    JsonNode value = request.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "\"" + field + "\" must be a string, got " + value);
    }
    return Optional.of(value.asText());
  }

  private interface WireLookup<E> {
    Optional<E> fromWire(String text);
  }

  private static <E> Optional<E> enumArgument(
      JsonNode request, String field, E[] values, java.util.function.Function<E, String> wire, WireLookup<E> lookup)
      throws VolumeException {
    Optional<String> text = optionalString(request, field);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Optional<E> value = lookup.fromWire(text.get());
    if (value.isEmpty()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "\"" + field + "\" \"" + text.get()
          + "\" is not known; use one of " + Arrays.stream(values).map(wire).collect(Collectors.joining(", ")));
    }
    return value;
  }
}

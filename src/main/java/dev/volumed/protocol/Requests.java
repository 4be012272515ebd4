package dev.volumed.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.Names;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The decoder of wire protocol v1: a request line's JSON object into a {@link Request}. Every
 * problem is a {@link VolumeException} with its code; the checks run in a fixed order (id, op,
 * pool, then the op's arguments), so a request with several faults is always refused for the same one.
 */
public final class Requests {
  /** Image sizes must be whole 4 KiB blocks. */
  public static final long SIZE_ALIGNMENT = 4096;

  /** Every reply echoes its request's id, so an id is short: a longer one is refused. */
  public static final int MAX_ID_BYTES = 128;

  /** The pool of a request that names none. */
  public static final String DEFAULT_POOL = "default";

  /** The daemon's answer to "is there such a pool?": UNKNOWN_POOL when not. */
  @FunctionalInterface
  public interface PoolCheck {
    void check(String pool) throws VolumeException;
  }

  private Requests() {}

  /** A whole line: parsed, its id and op read, and decoded; for clients and tests that need no steps between. */
  public static Message decode(byte[] line, PoolCheck pools) throws VolumeException {
    JsonNode request = object(Codec.parse(line));
    JsonNode id = id(request);
    String op = op(request);
    return new Message(id, decode(Op.fromWire(op).orElseThrow(() -> Op.unknown(op)), request, pools));
  }

  /** A request with its id (a JSON number or string, or null). */
  public record Message(JsonNode id, Request request) {}

  /** The parsed line, when it is a JSON object. */
  public static JsonNode object(JsonNode line) throws VolumeException {
    if (!line.isObject()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "a request is one JSON object per line, e.g. {\"op\":\"ping\"}");
    }
    return line;
  }

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

  /** The op as the client wrote it; {@link Op#fromWire} says whether volumed knows it. */
  public static String op(JsonNode request) throws VolumeException {
    JsonNode op = request.get("op");
    if (op == null || !op.isTextual()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "every request needs an \"op\" string: " + Op.all("or"));
    }
    return op.asText();
  }

  /**
   * The request's arguments for {@code op}. The pool is checked as soon as it is read, before the
   * other arguments; a create's or batch's volumes are checked later, by {@link VolumeArgs#spec}
   * and {@link #specs}, against that pool's defaults.
   */
  public static Request decode(Op op, JsonNode request, PoolCheck pools) throws VolumeException {
    return switch (op) {
      case PING -> new Request.Ping();
      case POOLS -> new Request.Pools();
      case CREATE -> new Request.Create(pool(request, pools), VolumeArgs.of(request));
      case BATCH -> batch(request, pools);
      case GET -> new Request.Get(pool(request, pools), name(request));
      case LIST -> new Request.ListVolumes(request.hasNonNull("pool") ? Optional.of(pool(request, pools)) : Optional.empty());
      case DELETE -> new Request.Delete(pool(request, pools), name(request));
      case PREALLOCATE -> new Request.Preallocate(pool(request, pools), name(request), preallocateMode(request),
          flag(request, "progress", false));
      case RESIZE -> new Request.Resize(pool(request, pools), name(request), VolumeArgs.size(request.get("size")),
          flag(request, "progress", false));
      case RECLAIM -> new Request.Reclaim(pool(request, pools), name(request));
      case WATCH -> new Request.Watch(request.hasNonNull("pool") ? Optional.of(pool(request, pools)) : Optional.empty());
    };
  }

  private static Request.Batch batch(JsonNode request, PoolCheck pools) throws VolumeException {
    String pool = pool(request, pools);
    boolean atomic = flag(request, "atomic", true);
    boolean progress = flag(request, "progress", false);
    JsonNode volumes = request.get("volumes");
    if (volumes == null || !volumes.isArray() || volumes.isEmpty()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST,
          "a batch needs \"volumes\": a non-empty array of create arguments (name, size, fs, ...)");
    }
    List<VolumeArgs> args = new ArrayList<>();
    volumes.forEach(volume -> args.add(new VolumeArgs(volume)));
    return new Request.Batch(pool, atomic, progress, args);
  }

  /** A batch's volumes, each checked as a create request's arguments without "pool". */
  public static List<VolumeSpec> specs(Request.Batch batch, PoolDefaults pool, MkfsArgsPolicy policy, int maxVolumes)
      throws VolumeException {
    List<VolumeArgs> volumes = batch.volumes();
    if (volumes.size() > maxVolumes) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "a batch may name at most " + maxVolumes
          + " volumes (volumed.batch.max-volumes), this one names " + volumes.size() + "; split it");
    }
    List<VolumeSpec> specs = new ArrayList<>();
    for (int i = 0; i < volumes.size(); i++) {
      JsonNode volume = volumes.get(i).fields();
      try {
        if (!volume.isObject()) {
          throw new VolumeException(ErrorCode.BAD_REQUEST, "it is not an object of create arguments");
        }
        if (volume.has("pool")) {
          throw new VolumeException(ErrorCode.BAD_REQUEST,
              "it names a pool; a batch has one pool, given beside \"volumes\"");
        }
        specs.add(volumes.get(i).spec(pool, policy));
      } catch (VolumeException e) {
        throw new VolumeException(e.code(), "volumes[" + i + "]: " + e.getMessage(), Map.of("index", i), null);
      }
    }
    return specs;
  }

  /** preallocate's "mode": "fallocate" (when absent) or "full"; "sparse" is no preallocation. */
  private static Allocation preallocateMode(JsonNode request) throws VolumeException {
    Allocation mode = enumArgument(request, "mode", Allocation.values(), Allocation::wireName, Allocation::fromWire)
        .orElse(Allocation.FALLOCATE);
    if (mode == Allocation.SPARSE) {
      throw new VolumeException(ErrorCode.BAD_REQUEST,
          "\"mode\" of preallocate is \"fallocate\" (every block allocated) or \"full\" (and written with zeros)");
    }
    return mode;
  }

  /** The pool argument, {@value #DEFAULT_POOL} when absent, and known to {@code pools}. */
  private static String pool(JsonNode request, PoolCheck pools) throws VolumeException {
    String pool = optionalString(request, "pool").orElse(DEFAULT_POOL);
    pools.check(pool);
    return pool;
  }

  static String name(JsonNode request) throws VolumeException {
    String name = optionalString(request, "name").orElse(null);
    String problem = Names.problem(name);
    if (problem != null) {
      throw new VolumeException(ErrorCode.INVALID_NAME, problem);
    }
    return name;
  }

  /** A boolean argument, {@code otherwise} when absent. */
  private static boolean flag(JsonNode request, String field, boolean otherwise) throws VolumeException {
    JsonNode value = request.get(field);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    if (!value.isBoolean()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "\"" + field + "\" must be true or false, got " + value);
    }
    return value.asBoolean();
  }

  /** A string argument; absent and null are the same. */
  static Optional<String> optionalString(JsonNode request, String field) throws VolumeException {
    JsonNode value = request.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "\"" + field + "\" must be a string, got " + value);
    }
    return Optional.of(value.asText());
  }

  interface WireLookup<E> {
    Optional<E> fromWire(String text);
  }

  /** A string argument naming one of {@code values} by its wire name. */
  static <E> Optional<E> enumArgument(JsonNode request, String field, E[] values, Function<E, String> wire,
      WireLookup<E> lookup) throws VolumeException {
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

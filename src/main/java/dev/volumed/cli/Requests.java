package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/** Builds the request line of wire protocol v1 for an {@link Invocation}. */
final class Requests {
  /** The pool used by create, get and delete when --pool is not given. */
  static final String DEFAULT_POOL = "default";

  private static final Pattern PLAIN_BYTES = Pattern.compile("[0-9]{1,18}");
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private Requests() {}

  /** An id no other request of this process uses, and unlikely to be used by another process. */
  static String freshId() {
    return "volumectl-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
  }

  /**
   * The request for {@code invocation}, with {@code id}. Arguments the user did not give are left
   * out so the daemon applies its defaults, except {@code pool} for create, get and delete, which
   * is always sent ({@value #DEFAULT_POOL} unless --pool says otherwise).
   */
  static ObjectNode request(Invocation invocation, String id) {
    ObjectNode request = Json.MAPPER.createObjectNode();
    request.put("id", id);
    request.put("op", invocation.command().word());
    switch (invocation.command()) {
      case PING, POOLS -> {}
      case BATCH, IMPORT_MICROVM ->
          throw new IllegalArgumentException("a batch's volumes come from its FILE: use Requests.batch");
      case LIST -> invocation.option(Option.POOL).ifPresent(p -> request.put("pool", p));
      case GET, DELETE -> {
        request.put("pool", invocation.option(Option.POOL).orElse(DEFAULT_POOL));
        request.put("name", invocation.name().orElseThrow());
      }
      case CREATE -> {
        request.put("pool", invocation.option(Option.POOL).orElse(DEFAULT_POOL));
        request.put("name", invocation.name().orElseThrow());
        String size = invocation.option(Option.SIZE).orElseThrow();
        if (PLAIN_BYTES.matcher(size).matches()) {
          request.put("size", Long.parseLong(size)); // the protocol's "integer of bytes"
        } else {
          request.put("size", size); // "10G", "512MiB": the daemon parses and validates it
        }
        invocation.option(Option.FS).ifPresent(v -> request.put("fs", v));
        invocation.option(Option.LABEL).ifPresent(v -> request.put("label", v));
        invocation.option(Option.ALLOCATION).ifPresent(v -> request.put("allocation", v));
        List<String> mkfsArgs = invocation.all(Option.MKFS_ARG);
        if (!mkfsArgs.isEmpty()) {
          ArrayNode array = request.putArray("mkfsArgs");
          mkfsArgs.forEach(array::add);
        }
      }
    }
    return request;
  }

  /**
   * A batch of {@code volumes} (create arguments without pool) into {@code pool}, always with
   * progress events; {@code atomic} is sent even when true, so the request says what it asks.
   */
  static ObjectNode batch(String id, String pool, JsonNode volumes, boolean atomic) {
    ObjectNode request = Json.MAPPER.createObjectNode();
    if (id != null) {
      request.put("id", id);
    }
    request.put("op", "batch");
    request.put("pool", pool);
    request.put("atomic", atomic);
    request.put("progress", true);
    request.set("volumes", volumes.deepCopy());
    return request;
  }
}

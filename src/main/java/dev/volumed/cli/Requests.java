package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The request lines of wire protocol v1. Each command puts in only the arguments the user gave,
 * so the daemon applies its defaults, except {@code pool} for create, get, delete and batches,
 * which is always sent ({@value #DEFAULT_POOL} unless --pool says otherwise).
 */
final class Requests {
  /** The pool used by create, get, delete and batches when --pool is not given. */
  static final String DEFAULT_POOL = "default";

  private static final Pattern PLAIN_BYTES = Pattern.compile("[0-9]{1,18}");
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private Requests() {}

  /** An id no other request of this process uses, and unlikely to be used by another process. */
  static String freshId() {
    return "volumectl-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
  }

  /** {@code {"id": id, "op": op}}, for the command to add its arguments to. */
  static ObjectNode start(String id, String op) {
    ObjectNode request = Json.MAPPER.createObjectNode();
    request.put("id", id);
    request.put("op", op);
    return request;
  }

  /**
   * {@code size} as given: a plain byte count as the protocol's integer of bytes, anything else
   * ("10G", "512MiB", garbage) as text, which the daemon parses and validates.
   */
  static ObjectNode putSize(ObjectNode request, String size) {
    return PLAIN_BYTES.matcher(size).matches() ? request.put("size", Long.parseLong(size)) : request.put("size", size);
  }

  /**
   * A batch of {@code volumes} (create arguments without pool) into {@code pool}, always with
   * progress events; {@code atomic} is sent even when true, so the request says what it asks.
   * Without {@code id} for --dry-run.
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

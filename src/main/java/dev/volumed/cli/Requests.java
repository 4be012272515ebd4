package dev.volumed.cli;

import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import dev.volumed.protocol.VolumeArgs;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * volumectl's request lines, encoded by the protocol's {@link Codec#request}. Each command puts
 * in only the arguments the user gave, so the daemon applies its defaults, except {@code pool}
 * for create, get, delete and batches, which is always sent ({@value #DEFAULT_POOL} unless
 * --pool says otherwise).
 */
final class Requests {
  /** The pool used by create, get, delete and batches when --pool is not given. */
  static final String DEFAULT_POOL = dev.volumed.protocol.Requests.DEFAULT_POOL;

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private Requests() {}

  /** An id no other request of this process uses, and unlikely to be used by another process. */
  static String freshId() {
    return "volumectl-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
  }

  /**
   * A batch of {@code volumes} (create arguments without pool, sent as they are: volumed checks
   * them) into {@code pool}, always with progress events; {@code atomic} is sent even when true,
   * so the request says what it asks. Without {@code id} for --dry-run.
   */
  static ObjectNode batch(String id, String pool, JsonNode volumes, boolean atomic) {
    List<VolumeArgs> args = new ArrayList<>();
    volumes.forEach(volume -> args.add(new VolumeArgs(volume)));
    return Codec.request(id, new Request.Batch(pool, atomic, true, args));
  }
}

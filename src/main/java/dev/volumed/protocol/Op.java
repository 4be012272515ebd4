package dev.volumed.protocol;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The operations of wire protocol v1, by their wire name (the request's {@code "op"}). */
public enum Op {
  PING, POOLS, CREATE, BATCH, GET, LIST, DELETE, PREALLOCATE, RESIZE, RECLAIM, WATCH;

  /** {@code "ping"}, ..., {@code "delete"}: what a request writes as its "op" (case-sensitive). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The op with this wire name, or empty when there is none. */
  public static Optional<Op> fromWire(String text) {
    return Arrays.stream(values()).filter(op -> op.wireName().equals(text)).findFirst();
  }

  /** UNKNOWN_OP naming every op there is; {@code shown} is the client's op as it may be quoted. */
  public static VolumeException unknown(String shown) {
    return new VolumeException(ErrorCode.UNKNOWN_OP, "unknown op \"" + shown + "\"; volumed knows " + all("and"));
  }

  /** {@code ping, pools, ... or delete}: every wire name, the last joined by {@code last}. */
  static String all(String last) {
    List<String> names = Arrays.stream(values()).map(Op::wireName).toList();
    return String.join(", ", names.subList(0, names.size() - 1)) + " " + last + " " + names.get(names.size() - 1);
  }
}

package dev.volumed.csi;

import dev.volumed.csi.v1.CapacityRange;
import dev.volumed.model.Sizes;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The size a CSI capacity range asks for. Images are made of whole 4 KiB blocks, so
 * {@code required_bytes} is rounded up to a multiple of 4096; a range that leaves none
 * ({@code limit_bytes} below that) is OUT_OF_RANGE.
 */
final class CapacityRanges {
  static final long BLOCK = 4096;
  /** The size of a volume whose request gives neither required_bytes nor limit_bytes (CSI leaves it to the plugin). */
  static final long DEFAULT_SIZE = Sizes.GIB;

  private CapacityRanges() {}

  /**
   * The size to make: required_bytes rounded up to 4096; without it, 1 GiB, or the limit rounded
   * down to 4096 when the limit is smaller.
   */
  static long size(CapacityRange range) {
    long required = range.getRequiredBytes();
    long limit = range.getLimitBytes();
    if (required < 0 || limit < 0) {
      throw Statuses.invalid("capacity_range must not be negative: required_bytes " + required + ", limit_bytes "
          + limit);
    }
    if (required == 0) {
      long size = limit == 0 ? DEFAULT_SIZE : Math.min(DEFAULT_SIZE, limit / BLOCK * BLOCK);
      if (size == 0) {
        throw outOfRange("limit_bytes " + limit + " is less than one 4096-byte block");
      }
      return size;
    }
    if (required > Long.MAX_VALUE - BLOCK) {
      throw outOfRange("required_bytes " + required + " is too large");
    }
    long size = (required + BLOCK - 1) / BLOCK * BLOCK;
    if (limit != 0 && size > limit) {
      throw outOfRange("required_bytes " + required + " rounds up to " + size + " (volumes are whole 4096-byte blocks),"
          + " more than limit_bytes " + limit);
    }
    return size;
  }

  /** True when a volume of {@code size} bytes satisfies the range (required <= size <= limit; 0: unset). */
  static boolean fits(long size, CapacityRange range) {
    return size >= range.getRequiredBytes() && (range.getLimitBytes() == 0 || size <= range.getLimitBytes());
  }

  static StatusRuntimeException outOfRange(String message) {
    return Status.OUT_OF_RANGE.withDescription(message).asRuntimeException();
  }
}

package dev.volumed.actors;

import dev.volumed.actors.LedgerProtocol.Refused;
import dev.volumed.model.Allocation;
import dev.volumed.model.Capabilities;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.nio.file.Path;

/**
 * What a pool's ledger answers when a request meets the state of a name or of the ledger itself:
 * each text written once, naming the pool and what to do. The refusals of the admission rules
 * are the books' ({@link dev.volumed.accounting.Books#decide}).
 */
final class Refusals {
  private final String pool;
  private final Path path;

  Refusals(String pool, Path path) {
    this.pool = pool;
    this.path = path;
  }

  Refused creating(String name) {
    return new Refused(ErrorCode.BUSY, "volume " + name + " in pool " + pool
        + " is being created; try again when that finishes");
  }

  Refused deleting(String name) {
    return new Refused(ErrorCode.BUSY, "volume " + name + " in pool " + pool
        + " is being deleted; try again when that finishes");
  }

  /** UNSUPPORTED when the pool's file system cannot give this allocation, naming what it can; else null. */
  Refused unsupported(Capabilities capabilities, Allocation allocation, String name) {
    return capabilities.cannot(allocation).map(why -> new Refused(ErrorCode.UNSUPPORTED, "the file system of pool "
        + pool + " (" + path + ") " + why + ", so " + name + " cannot be " + allocation.wireName() + "; it can do "
        + capabilities.possible())).orElse(null);
  }

  Refused notFound(String name) {
    return new Refused(ErrorCode.NOT_FOUND, "no volume " + name + " in pool " + pool);
  }

  /** A different volume already has the name. */
  Refused alreadyExists(Volume existing) {
    VolumeSpec spec = existing.spec();
    return new Refused(ErrorCode.ALREADY_EXISTS, String.format(
        "volume %s already exists in pool %s with size %d, fs %s, label %s, allocation %s;"
            + " delete it first or ask for exactly that",
        spec.name(), pool, spec.size(), spec.fs().wireName(), spec.label().orElse("(none)"),
        spec.allocation().wireName()));
  }

  /** A damaged volume has the name: never "existed", whatever its metadata says. */
  Refused damaged(Volume existing) {
    return new Refused(ErrorCode.ALREADY_EXISTS, "volume " + existing.name() + " exists in pool " + pool
        + " but is damaged (" + existing.damage().orElseThrow() + "); restore its image (it is checked again at"
        + " every refresh) or delete it and create it again");
  }

  static Refused namedTwiceInBatch(String name) {
    return new Refused(ErrorCode.BAD_REQUEST, "the batch names volume " + name + " twice; each name may appear once");
  }

  /** The books could not be loaded (or loaded again); {@code reason} is the underlying failure. */
  Refused unusable(Throwable reason) {
    return new Refused(ErrorCode.IO_ERROR, "pool " + pool + " (" + path + ") cannot be used now: "
        + reason.getMessage() + "; volumed loads its books again every few seconds, and serves it once that works");
  }

  /** A handler threw while answering this very request. */
  Refused threw(RuntimeException e) {
    return new Refused(ErrorCode.IO_ERROR, "pool " + pool + " failed: " + e.getMessage()
        + "; volumed loads its books again, retry in a moment");
  }
}

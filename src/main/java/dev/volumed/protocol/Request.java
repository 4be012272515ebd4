package dev.volumed.protocol;

import dev.volumed.model.Allocation;
import java.util.List;
import java.util.Optional;

/**
 * A request of wire protocol v1 as the client asked it, one record per {@link Op}. The volumes
 * of create and batch stay {@link VolumeArgs} (as written) until checked against their pool.
 */
public sealed interface Request {
  Op op();

  /** Answers once every pool's books are loaded: volumed is ready. */
  record Ping() implements Request {
    @Override
    public Op op() {
      return Op.PING;
    }
  }

  record Pools() implements Request {
    @Override
    public Op op() {
      return Op.POOLS;
    }
  }

  record Create(String pool, VolumeArgs volume) implements Request {
    @Override
    public Op op() {
      return Op.CREATE;
    }
  }

  /** Volumes into one pool: all or nothing when {@code atomic}; progress events when {@code progress}. */
  record Batch(String pool, boolean atomic, boolean progress, List<VolumeArgs> volumes) implements Request {
    public Batch {
      volumes = List.copyOf(volumes);
    }

    @Override
    public Op op() {
      return Op.BATCH;
    }
  }

  record Get(String pool, String name) implements Request {
    @Override
    public Op op() {
      return Op.GET;
    }
  }

  /** One pool's volumes, or every pool's when {@code pool} is empty. */
  record ListVolumes(Optional<String> pool) implements Request {
    @Override
    public Op op() {
      return Op.LIST;
    }
  }

  record Delete(String pool, String name) implements Request {
    @Override
    public Op op() {
      return Op.DELETE;
    }
  }

  /** Give a volume its blocks: {@code mode} fallocate or full; progress events when {@code progress}. */
  record Preallocate(String pool, String name, Allocation mode, boolean progress) implements Request {
    @Override
    public Op op() {
      return Op.PREALLOCATE;
    }
  }

  /** Grow a volume to {@code size} bytes (checked: positive, whole 4 KiB blocks); progress events when asked. */
  record Resize(String pool, String name, long size, boolean progress) implements Request {
    @Override
    public Op op() {
      return Op.RESIZE;
    }
  }

  /** Give back a sparse volume's blocks that hold no data. */
  record Reclaim(String pool, String name) implements Request {
    @Override
    public Op op() {
      return Op.RECLAIM;
      }
    }

  /** Events of one pool, or of every pool when {@code pool} is empty, until the connection closes. */
  record Watch(Optional<String> pool) implements Request {
    @Override
    public Op op() {
      return Op.WATCH;
    }
  }
}

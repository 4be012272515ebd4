package dev.volumed.metrics;

import dev.volumed.model.Volume;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Collection;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The pool and volume gauges: each scrape reads the pools' latest {@link PoolSnapshot}s, so the
 * values are the books' own figures, never a second count kept beside them.
 */
final class PoolGauges {
  private PoolGauges() {}

  static void register(PrometheusRegistry registry, Supplier<Collection<PoolSnapshot>> pools, boolean perVolume) {
    pool(registry, pools, "volumed_pool_capacity_bytes", "C: the configured capacity, never more than the file system's size",
        PoolSnapshot::capacityBytes);
    pool(registry, pools, "volumed_pool_usable_bytes", "usable = C - reserved", PoolSnapshot::usableBytes);
    pool(registry, pools, "volumed_pool_committed_bytes",
        "sizes of fallocate and full volumes, admitted reservations in flight included", PoolSnapshot::committedBytes);
    pool(registry, pools, "volumed_pool_provisioned_bytes", "sizes of all volumes, in flight included",
        PoolSnapshot::provisionedBytes);
    pool(registry, pools, "volumed_pool_allocated_bytes", "blocks the pool's volumes were last measured to use",
        PoolSnapshot::allocatedBytes);
    pool(registry, pools, "volumed_pool_filesystem_avail_bytes",
        "free space of the pool's file system as last read (f_bavail), other tenants' files counted",
        PoolSnapshot::filesystemAvailBytes);
    pool(registry, pools, "volumed_pool_max_overcommit_ratio",
        "the sizes of all volumes may add up to usable times this", PoolSnapshot::maxOvercommitRatio);
    pool(registry, pools, "volumed_pool_volumes", "published volumes", PoolSnapshot::volumes);
    GaugeWithCallback.builder().name("volumed_pool_level")
        .help("the highest watermark reached: 0 ok, 1 warn, 2 critical, 3 full").labelNames("pool")
        .callback(out -> pools.get().forEach(p -> p.level().ifPresent(level -> out.call(level, p.pool()))))
        .register(registry);
    if (perVolume) {
      volume(registry, pools, "volumed_volume_size_bytes", "the volume's size (its image's length)",
          volume -> volume.spec().size());
      volume(registry, pools, "volumed_volume_allocated_bytes", "blocks the volume's image was last measured to use",
          Volume::allocatedBytes);
    }
  }

  private static void pool(PrometheusRegistry registry, Supplier<Collection<PoolSnapshot>> pools, String name,
      String help, ToDoubleFunction<PoolSnapshot> value) {
    builder(name, help).labelNames("pool")
        .callback(out -> pools.get().forEach(p -> out.call(value.applyAsDouble(p), p.pool())))
        .register(registry);
  }

  private static void volume(PrometheusRegistry registry, Supplier<Collection<PoolSnapshot>> pools, String name,
      String help, ToLongFunction<Volume> value) {
    builder(name, help).labelNames("pool", "name")
        .callback(out -> pools.get().forEach(p -> p.perVolume().forEach(v -> out.call(value.applyAsLong(v), p.pool(), v.name()))))
        .register(registry);
  }

  private static GaugeWithCallback.Builder builder(String name, String help) {
    return GaugeWithCallback.builder().name(name).help(help);
  }
}

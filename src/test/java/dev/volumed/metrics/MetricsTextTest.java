package dev.volumed.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.time.Instant;
import java.util.Optional;
import dev.volumed.testing.Tools;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The metrics text: every name the design lists, values as published, and promtool's lint passes it. */
class MetricsTextTest {

  static PoolSnapshot snapshot(String pool, List<Volume> volumes) {
    return new PoolSnapshot(pool, 100L << 30, 95L << 30, 4L << 30, 14L << 30, 3L << 30, 80L << 30, 4.0,
        volumes.size(), OptionalInt.of(1), volumes);
  }

  static Volume volume(String name, long size, long allocated) {
    return new Volume(new VolumeSpec(name, size, FileSystemType.EXT4, Optional.empty(), List.of(), Allocation.SPARSE),
        Instant.EPOCH, allocated, Volume.State.READY, false);
  }

  @Test
  void everyNameIsThereWithThePublishedValuesAndPromtoolPassesIt() throws Exception {
    VolumedMetrics metrics = new VolumedMetrics(true);
    metrics.publish(snapshot("fast", List.of(volume("vm1/root.img", 10L << 30, 1L << 30),
        volume("vm2/data-2.0_x.img", 4L << 30, 2L << 30))));
    metrics.publish(snapshot("slow", List.of()));
    metrics.request("create", "OK", 120_000_000);
    metrics.request("get", "NOT_FOUND", 1_000_000);
    metrics.turnedAway("unknown", "OVERLOADED");
    metrics.formatted(FileSystemType.EXT4, 80_000_000);
    String text = metrics.textString();

    for (String name : List.of("volumed_pool_capacity_bytes", "volumed_pool_usable_bytes",
        "volumed_pool_committed_bytes", "volumed_pool_provisioned_bytes", "volumed_pool_allocated_bytes",
        "volumed_pool_filesystem_avail_bytes", "volumed_pool_max_overcommit_ratio", "volumed_pool_volumes",
        "volumed_pool_level", "volumed_volume_size_bytes", "volumed_volume_allocated_bytes",
        "volumed_requests_total", "volumed_request_duration_seconds_bucket", "volumed_format_duration_seconds_bucket",
        "jvm_memory_used_bytes", "jvm_threads_current")) {
      assertTrue(text.contains("\n" + name + "{") || text.contains("\n" + name + " "), () -> name + " missing:\n" + text);
    }
    assertTrue(text.contains("volumed_pool_provisioned_bytes{pool=\"fast\"} 1.5032385536E10"), text);
    assertTrue(text.contains("volumed_pool_volumes{pool=\"fast\"} 2.0"), text);
    assertTrue(text.contains("volumed_pool_level{pool=\"slow\"} 1.0"), text);
    assertTrue(text.contains("volumed_volume_size_bytes{name=\"vm1/root.img\",pool=\"fast\"} 1.073741824E10"), text);
    assertTrue(text.contains("volumed_volume_allocated_bytes{name=\"vm2/data-2.0_x.img\",pool=\"fast\"} 2.147483648E9"), text);
    assertTrue(text.contains("volumed_requests_total{code=\"NOT_FOUND\",op=\"get\"} 1.0"), text);
    assertTrue(text.contains("volumed_requests_total{code=\"OVERLOADED\",op=\"unknown\"} 1.0"), text);
    assertTrue(text.contains("volumed_format_duration_seconds_count{fs=\"ext4\"} 1"), text);

    Tools.assumeInstalled("promtool");
    Promtool.Result lint = Promtool.run(metrics.text(), "check", "metrics");
    assertEquals(0, lint.exitCode(), () -> "promtool check metrics:\n" + lint.output() + "\n" + text);
  }

  @Test
  void perVolumeSeriesCanBeSwitchedOff() {
    VolumedMetrics metrics = new VolumedMetrics(false);
    metrics.publish(snapshot("fast", List.of(volume("vm1/root.img", 10L << 30, 1L << 30))));
    String text = metrics.textString();
    assertFalse(metrics.perVolume());
    assertFalse(text.contains("volumed_volume_"), text);
    assertTrue(text.contains("volumed_pool_volumes{pool=\"fast\"} 1.0"), text);
  }

  @Test
  void aPoolWithoutALevelHasNoLevelSeries() {
    VolumedMetrics metrics = new VolumedMetrics(true);
    metrics.publish(new PoolSnapshot("p", 1, 1, 0, 0, 0, 1, 1.0, 0, OptionalInt.empty(), List.of()));
    assertFalse(metrics.textString().contains("volumed_pool_level{"));
  }
}

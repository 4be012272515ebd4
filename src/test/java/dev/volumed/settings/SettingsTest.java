package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.volumed.disk.Allocation;
import dev.volumed.disk.FileSystemType;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The configuration as an operator writes it: read over the packaged defaults. */
class SettingsTest {

  private static Settings read(String hocon) {
    return Settings.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve());
  }

  @Test
  void packagedDefaultsMatchTheDesign() {
    Settings settings = Settings.from(ConfigFactory.load());
    PoolSettings pool = settings.pools().get(0);
    assertEquals("default", pool.name());
    assertTrue(pool.path().endsWith("var/pools/default"));
    assertEquals(OptionalLong.empty(), pool.capacity());
    assertEquals(5.0, pool.reservedPercent());
    assertEquals(4.0, pool.maxOvercommitRatio());
    assertEquals(Allocation.SPARSE, pool.defaultAllocation());
    assertEquals(FileSystemType.EXT4, pool.defaultFs());
    assertEquals(PoolSettings.parseMode("0600"), pool.mode());
    assertEquals(PoolSettings.parseMode("0660"), settings.socket().mode());
    assertEquals(1048576, settings.socket().maxLineBytes());
    assertEquals(0, settings.format().parallelism());
  }

  @Test
  void aPoolNamesOnlyWhatDiffersAndTheDefaultPoolCanBeDropped() {
    Settings settings = read("""
        volumed.pools { default = null, fast { path = "/srv/fast", capacity = "2T", default-fs = "xfs" } }
        """);
    assertEquals(List.of("fast"), settings.pools().stream().map(PoolSettings::name).toList());
    PoolSettings fast = settings.pools().get(0);
    assertEquals(OptionalLong.of(2L << 40), fast.capacity());
    assertEquals(FileSystemType.XFS, fast.defaultFs());
    assertEquals(5.0, fast.reservedPercent(), "inherited from volumed.pool-defaults");
    assertEquals(Allocation.SPARSE, fast.defaultAllocation());
  }

  @Test
  void badPoolSettingsAreRefusedAtStartUp() {
    assertThrows(IllegalArgumentException.class, () -> read("volumed.pools.default.max-overcommit-ratio = 0.5"));
    assertThrows(IllegalArgumentException.class, () -> read("volumed.pools.default.reserved-percent = 100"));
    assertThrows(IllegalArgumentException.class, () -> read("volumed.pools.default.default-fs = ntfs"));
    assertThrows(IllegalArgumentException.class, () -> read("volumed.pools.default = null"));
  }
}

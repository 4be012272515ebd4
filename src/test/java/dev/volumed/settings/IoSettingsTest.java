package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** volumed.io.max-write-bytes-per-second: how fast preallocate full and a full volume's resize may write zeros. */
class IoSettingsTest {
  private static Settings.Io read(String hocon) {
    return Settings.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve()).io();
  }

  @Test
  void unpacedByDefaultAndASizeASecondWhenGiven() {
    assertEquals(OptionalLong.empty(), read("").maxWriteBytesPerSecond());
    assertEquals(OptionalLong.of(200L << 20), read("volumed.io.max-write-bytes-per-second = \"200M\"")
        .maxWriteBytesPerSecond());
  }

  @Test
  void zeroOrAWordIsRefusedNamingTheKeyAndAMisspeltKeyToo() {
    for (String hocon : new String[] {"volumed.io.max-write-bytes-per-second = 0",
        "volumed.io.max-write-bytes-per-second = fast", "volumed.io.max-write-bytes-per-sec = 1M"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(hocon));
      assertTrue(e.getMessage().contains("volumed.io.max-write-bytes-per-sec"), e.getMessage());
    }
  }
}

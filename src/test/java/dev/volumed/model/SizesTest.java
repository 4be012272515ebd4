package dev.volumed.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SizesTest {

  @Test
  void bytesBelowOneKibibyteAreExact() {
    assertEquals("0 B", Sizes.human(0));
    assertEquals("512 B", Sizes.human(512));
    assertEquals("1023 B", Sizes.human(1023));
  }

  @Test
  void largerCountsUseBinaryUnitsWithOneDecimal() {
    assertEquals("1.0 KiB", Sizes.human(1024));
    assertEquals("4.0 KiB", Sizes.human(4096));
    assertEquals("1.5 KiB", Sizes.human(1536));
    assertEquals("1.0 MiB", Sizes.human(1L << 20));
    assertEquals("10.0 GiB", Sizes.human(10L << 30));
    assertEquals("1.5 TiB", Sizes.human(3L << 39));
    assertEquals("2.0 PiB", Sizes.human(2L << 50));
    assertEquals("8.0 EiB", Sizes.human(Long.MAX_VALUE));
  }

  @Test
  void roundingUpToTheNextUnitShowsTheNextUnit() {
    assertEquals("1.0 MiB", Sizes.human((1L << 20) - 1));
    assertEquals("1023.9 KiB", Sizes.human(1023 * 1024 + 900));
  }

  @Test
  void usesADotWhateverTheLocale() {
    java.util.Locale saved = java.util.Locale.getDefault();
    try {
      java.util.Locale.setDefault(java.util.Locale.GERMANY);
      assertEquals("1.5 KiB", Sizes.human(1536));
    } finally {
      java.util.Locale.setDefault(saved);
    }
  }
}

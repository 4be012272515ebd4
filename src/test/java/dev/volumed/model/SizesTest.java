package dev.volumed.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

  @Test
  void theGrammarTakesDigitsAndABinaryUnitInAnyCase() {
    assertEquals(4096, Sizes.parse("4096"));
    assertEquals(512, Sizes.parse("512B"));
    assertEquals(10L << 30, Sizes.parse("10G"));
    assertEquals(10L << 30, Sizes.parse(" 10 gib "));
    assertEquals(512L << 20, Sizes.parse("512MiB"));
    assertEquals(3L << 40, Sizes.parse("3t"));
    assertEquals(8L << 10, Sizes.parse("8k"));
  }

  @Test
  void anythingElseIsRefusedSayingWhatIsAccepted() {
    assertEquals("size \"1.5G\" is not a positive number of bytes, or a string like \"512M\" or \"10GiB\""
        + " (units K, M, G, T or KiB, MiB, GiB, TiB)", assertThrows(IllegalArgumentException.class,
        () -> Sizes.parse("1.5G")).getMessage());
    assertEquals("size \"10GB\" has an unknown unit \"GB\"; use a positive number of bytes, or a string like"
        + " \"512M\" or \"10GiB\" (units K, M, G, T or KiB, MiB, GiB, TiB)",
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("10GB")).getMessage());
    assertEquals("size \"9999999999T\" is too large",
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("9999999999T")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-1"));
    assertThrows(IllegalArgumentException.class, () -> Sizes.parse(""));
  }

  @Test
  void exactUsesTheLargestUnitThatStatesItWhole() {
    assertEquals("1 KiB", Sizes.exact(1024));
    assertEquals("64 MiB", Sizes.exact(64L << 20));
    assertEquals("1536 KiB", Sizes.exact(1536L << 10));
    assertEquals("1000 bytes", Sizes.exact(1000));
    assertEquals("0 bytes", Sizes.exact(0));
  }
}

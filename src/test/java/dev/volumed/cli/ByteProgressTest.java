package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteProgressTest {
  private static final long MIB = 1 << 20;

  @Test
  void theBarSaysHowMuchOfHowMuchHowFastAndWhenItEnds() {
    assertEquals("[#####---------------]  25%  12.0 MiB of 48.0 MiB  8.0 MiB/s  ETA 0:05  vm1/var.img",
        ByteProgress.bar(12 * MIB, 48 * MIB, 1_500_000_000L, "vm1/var.img", 120));
    assertEquals("[--------------------]   0%  0 B of 48.0 MiB  -/s  ETA --:--  a.img",
        ByteProgress.bar(0, 48 * MIB, 0, "a.img", 120));
    assertEquals("[####################] 100%  0 B of 0 B  -/s  ETA --:--  a.img", ByteProgress.bar(0, 0, 0, "a.img", 120));
    assertEquals(39, ByteProgress.bar(12 * MIB, 48 * MIB, 1_500_000_000L, "vm1/var.img", 40).length());
  }

  @Test
  void withoutATerminalALineAtEachTenthOnly() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    ByteProgress view = new ByteProgress(err, false, 200, () -> 0L);
    for (long done = 0; done <= 100; done += 5) {
      view.event(JsonNodeFactory.instance.objectNode().put("name", "a.img").put("doneBytes", done * MIB)
          .put("totalBytes", 100 * MIB));
    }
    view.finish();
    assertEquals(11, bytes.toString(StandardCharsets.UTF_8).lines().count());
  }
}

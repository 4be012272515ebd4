package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
  private static final long SECOND = 1_000_000_000L;

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text);
  }

  @Test
  void plainLineShowsCountNameAndOutcome() throws Exception {
    assertEquals("[12/200] vm3/root.img created", Progress.line(json(
        "{\"id\":\"x\",\"event\":\"progress\",\"name\":\"vm3/root.img\",\"outcome\":\"created\",\"done\":12,\"total\":200}")));
    assertEquals("[2/2] a.img existed", Progress.line(json(
        "{\"name\":\"a.img\",\"outcome\":\"existed\",\"done\":2,\"total\":2}")));
  }

  @Test
  void plainLineOfAFailureCarriesItsCodeAndMessageOnOneLine() throws Exception {
    assertEquals("[1/3] small.img failed FORMAT_FAILED: mkfs.xfs failed. Its last output: too small", Progress.line(json(
        "{\"name\":\"small.img\",\"outcome\":\"failed\",\"error\":{\"code\":\"FORMAT_FAILED\","
            + "\"message\":\"mkfs.xfs failed. Its last output:\\n  too small\\n\"},\"done\":1,\"total\":3}")));
  }

  @Test
  void barShowsCountPercentRateEtaAndLastName() {
    assertEquals("[#####---------------]  50/200  25%  10.0 vol/s  ETA 0:15  vm49/disk.img",
        Progress.bar(50, 200, 5 * SECOND, "vm49/disk.img", 120));
    assertEquals("[####################] 3/3 100%  0.50 vol/s  ETA 0:00  c.img",
        Progress.bar(3, 3, 6 * SECOND, "c.img", 120));
  }

  @Test
  void barBeforeTheFirstVolumeHasNoRateOrEta() {
    assertEquals("[--------------------] 0/4   0%  - vol/s  ETA --:--", Progress.bar(0, 4, 0, null, 120));
  }

  @Test
  void barIsCutToTheTerminalWidth() {
    String bar = Progress.bar(1, 2, SECOND, "a-very-long-folder-name/with-a-long-image-name.img", 60);
    assertEquals(59, bar.length());
    assertTrue(bar.endsWith("..."), bar);
  }

  @Test
  void clockAndRateReadWell() {
    assertEquals("0:07", Progress.clock(7));
    assertEquals("12:34", Progress.clock(12 * 60 + 34));
    assertEquals("1:02:03", Progress.clock(3723));
    assertEquals("0.42", Progress.rate(0.421));
    assertEquals("3.4", Progress.rate(3.44));
    assertEquals("120", Progress.rate(120.4));
  }

  @Test
  void liveViewRedrawsOneLineAndKeepsFailuresAboveIt() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong now = new AtomicLong();
    try (PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      Progress.View view = new Progress.Live(err, 80, now::get);
      now.set(SECOND);
      view.event(json("{\"name\":\"a.img\",\"outcome\":\"created\",\"done\":1,\"total\":2}"));
      now.set(2 * SECOND);
      view.event(json("{\"name\":\"b.img\",\"outcome\":\"failed\",\"error\":{\"code\":\"IO_ERROR\",\"message\":\"disk\"},"
          + "\"done\":2,\"total\":2}"));
      view.finish();
    }
    String first = "[##########----------] 1/2  50%  1.0 vol/s  ETA 0:01  a.img";
    String second = "[####################] 2/2 100%  1.0 vol/s  ETA 0:00  b.img";
    assertEquals("\r" + first
            + "\r" + " ".repeat(first.length()) + "\r" + "[2/2] b.img failed IO_ERROR: disk\n"
            + "\r" + second + "\n",
        bytes.toString(StandardCharsets.UTF_8));
  }
}

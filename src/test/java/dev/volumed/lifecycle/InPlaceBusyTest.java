package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volume being changed in place (resize, preallocate) takes no delete, create or other change
 * until that ends: BUSY, naming the change. The zeros both write go at volumed.io's pace, slow
 * here (4 MiB a second) so the change is still running while the others are asked.
 */
class InPlaceBusyTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;
  private TestDaemon daemon;

  private static final String PACED = "volumed.io.max-write-bytes-per-second = \"4M\"";

  @AfterEach
  void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void aFullVolumeBeingResizedAtThePaceTakesNoDeleteCreateOrOtherChange() throws Exception {
    daemon = TestDaemon.start(dir, PACED);
    Path image = create("grow.img", "full");
    try (LineClient client = daemon.connect()) {
      client.send("{\"id\":1,\"op\":\"resize\",\"name\":\"grow.img\",\"size\":\"32M\",\"progress\":true}");
      JsonNode first = client.read();
      assertEquals("extend", first.path("step").asText(), first.toString());
      assertEveryOtherRequestIsBusy("grow.img", "is being resized; try again when that finishes");
      JsonNode end = lastLine(client, first);
      assertTrue(end.path("ok").asBoolean(), end.toString());
      assertEquals(32 * MIB, end.path("result").path("size").asLong(), end.toString());
    }
    assertEquals(32 * MIB, Files.size(image));
  }

  @Test
  void aVolumeBeingPreallocatedTakesNoResizeOrReclaimEither() throws Exception {
    daemon = TestDaemon.start(dir, PACED);
    create("slow.img", "sparse");
    try (LineClient client = daemon.connect()) {
      client.send("{\"id\":1,\"op\":\"preallocate\",\"name\":\"slow.img\",\"mode\":\"full\",\"progress\":true}");
      JsonNode first = client.read();
      assertEquals("progress", first.path("event").asText(), first.toString());
      assertEveryOtherRequestIsBusy("slow.img", "is being preallocated; try again when that finishes");
      JsonNode end = lastLine(client, first);
      assertTrue(end.path("ok").asBoolean(), end.toString());
      assertEquals("full", end.path("result").path("allocation").asText(), end.toString());
    }
  }

  /** Its reports keep the request alive: a resize slower than the request timeout still answers. */
  @Test
  void aPacedResizeLongerThanTheRequestTimeoutAnswersWithTheResizedVolume() throws Exception {
    // 16 MiB of zeros at 2 MiB/s: 8 s, well past the 3 s timeout; a report comes every MiB (0.5 s),
    // and the 3 s leave room for the steps before the first one on a loaded machine.
    daemon = TestDaemon.start(dir, "volumed.io.max-write-bytes-per-second = \"2M\"\nvolumed.socket.request-timeout = 3s");
    Path image = create("long.img", "full");
    JsonNode resized = daemon.request("{\"op\":\"resize\",\"name\":\"long.img\",\"size\":\"32M\"}");
    assertTrue(resized.path("ok").asBoolean(), resized.toString());
    assertEquals(32 * MIB, resized.path("result").path("size").asLong(), resized.toString());
    assertEquals(32 * MIB, Files.size(image));
  }

  private void assertEveryOtherRequestIsBusy(String name, String wording) throws Exception {
    for (String op : new String[] {
        "{\"op\":\"delete\",\"name\":\"" + name + "\"}",
        "{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"16M\",\"fs\":\"none\"}",
        "{\"op\":\"resize\",\"name\":\"" + name + "\",\"size\":\"64M\"}",
        "{\"op\":\"reclaim\",\"name\":\"" + name + "\"}",
        "{\"op\":\"preallocate\",\"name\":\"" + name + "\",\"mode\":\"full\"}"}) {
      JsonNode busy = daemon.request(op);
      assertEquals("BUSY", busy.path("error").path("code").asText(), op + " -> " + busy);
      assertTrue(busy.path("error").path("message").asText().endsWith(wording), op + " -> " + busy);
    }
  }

  private static JsonNode lastLine(LineClient client, JsonNode first) throws Exception {
    JsonNode line = first;
    while (line.has("event")) {
      line = client.read(Duration.ofSeconds(60));
    }
    return line;
  }

  private Path create(String name, String allocation) throws Exception {
    JsonNode made = daemon.request("{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"16M\",\"fs\":\"none\","
        + "\"allocation\":\"" + allocation + "\"}");
    assertTrue(made.path("ok").asBoolean(), made.toString());
    return Paths.get(made.path("result").path("path").asText());
  }
}

package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A resize asked with "progress": events on its connection (extend, then filesystem), then one reply. */
class ResizeProgressTest {
  private static final long MIB = 1L << 20;

  @TempDir static Path dir;
  static TestDaemon daemon;

  @BeforeAll
  static void start() throws Exception {
    daemon = TestDaemon.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void aFullVolumeReportsTheZerosItWritesThenItsReply() throws Exception {
    try (LineClient client = LineClient.connect(daemon.socket())) {
      JsonNode made = client.request("{\"op\":\"create\",\"name\":\"full.img\",\"size\":\"16M\",\"fs\":\"none\","
          + "\"allocation\":\"full\"}");
      assertTrue(made.path("ok").asBoolean(), made.toString());
      client.send("{\"id\":\"g\",\"op\":\"resize\",\"name\":\"full.img\",\"size\":\"400M\",\"progress\":true}");
      List<JsonNode> events = new ArrayList<>();
      JsonNode line = client.read();
      while (line.has("event")) {
        events.add(line);
        line = client.read();
      }
      assertTrue(line.path("ok").asBoolean(), line.toString());
      assertEquals("g", line.path("id").asText());
      assertEquals(400 * MIB, line.path("result").path("size").asLong());
      assertTrue(events.size() >= 3, events.toString());
      long total = 384 * MIB;
      JsonNode first = events.get(0);
      assertEquals(List.of("g", "progress", "full.img", "extend", "0", String.valueOf(total)),
          List.of(first.path("id").asText(), first.path("event").asText(), first.path("name").asText(),
              first.path("step").asText(), first.path("doneBytes").asText(), first.path("totalBytes").asText()));
      JsonNode last = events.get(events.size() - 1);
      assertEquals("filesystem", last.path("step").asText());
      long previous = -1;
      for (JsonNode event : events) {
        assertTrue(event.path("doneBytes").asLong() >= previous, events.toString());
        previous = event.path("doneBytes").asLong();
      }
      assertEquals(400 * MIB, Files.size(daemon.pool().resolve("full.img")));
      assertTrue(dev.volumed.disk.PoolStore.allocatedBytes(daemon.pool(), "full.img") >= 400 * MIB);
    }
  }

  @Test
  void withoutProgressThereAreNoEvents() throws Exception {
    try (LineClient client = LineClient.connect(daemon.socket())) {
      client.request("{\"op\":\"create\",\"name\":\"quiet.img\",\"size\":\"16M\",\"fs\":\"none\"}");
      JsonNode reply = client.request("{\"id\":\"q\",\"op\":\"resize\",\"name\":\"quiet.img\",\"size\":\"32M\"}");
      assertEquals("q", reply.path("id").asText());
      assertTrue(reply.path("ok").asBoolean(), reply.toString());
    }
  }

  @Test
  void aRefusedResizeWithProgressIsOneErrorReply() throws Exception {
    try (LineClient client = LineClient.connect(daemon.socket())) {
      client.send("{\"id\":\"n\",\"op\":\"resize\",\"name\":\"missing.img\",\"size\":\"32M\",\"progress\":true}");
      JsonNode reply = client.read();
      assertEquals("NOT_FOUND", reply.path("error").path("code").asText(), reply.toString());
    }
  }
}

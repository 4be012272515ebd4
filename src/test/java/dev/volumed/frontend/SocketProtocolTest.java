package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wire protocol v1 over the real socket: framing, pipelining, malformed input. */
class SocketProtocolTest {
  @TempDir
  static Path dir;

  static TestDaemon daemon;

  @BeforeAll
  static void start() throws Exception {
    daemon = TestDaemon.start(dir, "volumed.socket.max-line-bytes = 4096, volumed.socket.max-in-flight-per-connection = 256");
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  @Test
  void pingAnswersVersionAndProtocol() throws Exception {
    JsonNode reply = daemon.request("{\"id\":1,\"op\":\"ping\"}");
    assertEquals(1, reply.get("id").asInt());
    assertTrue(reply.get("ok").asBoolean());
    assertEquals(1, reply.at("/result/protocol").asInt());
    assertEquals("0.1.0", reply.at("/result/version").asText());
  }

  @Test
  void socketIsCreatedWithTheConfiguredMode() throws Exception {
    assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket())));
  }

  @Test
  void malformedLineIsAnsweredAndTheConnectionLivesOn() throws Exception {
    try (LineClient client = daemon.connect()) {
      for (String bad : new String[] {"this is not json", "[1,2]", "42", "{\"op\":", ""}) {
        JsonNode reply = client.request(bad);
        assertTrue(reply.get("id").isNull(), bad);
        assertFalse(reply.get("ok").asBoolean(), bad);
        assertEquals("BAD_REQUEST", reply.at("/error/code").asText(), bad);
      }
      assertTrue(client.request("{\"id\":\"after\",\"op\":\"ping\"}").get("ok").asBoolean());
    }
  }

  @Test
  void unknownOpAndMissingOpHaveTheirCodes() throws Exception {
    JsonNode unknown = daemon.request("{\"id\":\"u\",\"op\":\"format-my-disk\"}");
    assertEquals("UNKNOWN_OP", unknown.at("/error/code").asText());
    assertEquals("u", unknown.get("id").asText());
    JsonNode missing = daemon.request("{\"id\":\"m\"}");
    assertEquals("BAD_REQUEST", missing.at("/error/code").asText());
    assertEquals("m", missing.get("id").asText());
  }

  @Test
  void lineSplitAcrossWritesIsOneRequest() throws Exception {
    try (LineClient client = daemon.connect()) {
      byte[] line = "{\"id\":\"split\",\"op\":\"ping\"}\n".getBytes(StandardCharsets.UTF_8);
      for (byte b : line) {
        client.sendRaw(new byte[] {b});
      }
      JsonNode reply = client.read();
      assertEquals("split", reply.get("id").asText());
      assertTrue(reply.get("ok").asBoolean());
    }
  }

  @Test
  void pipelinedRequestsAreAllAnsweredById() throws Exception {
    try (LineClient client = daemon.connect()) {
      StringBuilder burst = new StringBuilder();
      Set<String> expected = new HashSet<>();
      for (int i = 0; i < 200; i++) {
        String op = i % 3 == 0 ? "pools" : i % 3 == 1 ? "list" : "ping";
        burst.append("{\"id\":\"p").append(i).append("\",\"op\":\"").append(op).append("\"}\n");
        expected.add("p" + i);
      }
      client.sendRaw(burst.toString().getBytes(StandardCharsets.UTF_8));
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 200; i++) {
        JsonNode reply = client.read();
        assertTrue(reply.get("ok").asBoolean(), reply.toString());
        assertTrue(seen.add(reply.get("id").asText()), "duplicate reply " + reply);
      }
      assertEquals(expected, seen);
    }
  }

  @Test
  void lineOverTheLimitIsAnsweredFrameTooLargeAndClosed() throws Exception {
    try (LineClient client = daemon.connect()) {
      client.send("{\"id\":\"before\",\"op\":\"ping\"}");
      assertEquals("before", client.read().get("id").asText());
      client.sendRaw(("{\"op\":\"ping\",\"pad\":\"" + "x".repeat(10_000) + "\"}\n").getBytes(StandardCharsets.UTF_8));
      JsonNode reply = client.read();
      assertEquals("FRAME_TOO_LARGE", reply.at("/error/code").asText());
      assertTrue(client.closedByPeer(Duration.ofSeconds(10)));
    }
    assertTrue(daemon.request("{\"op\":\"ping\"}").get("ok").asBoolean(), "daemon still serves");
  }

  @Test
  void requestsWithoutIdGetANullId() throws Exception {
    JsonNode reply = daemon.request("{\"op\":\"ping\"}");
    assertTrue(reply.get("id").isNull());
    assertTrue(reply.get("ok").asBoolean());
  }
}

package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input a client can send gets its code and leaves nothing behind, in the pool or outside it. */
class BadInputTest {
  @TempDir
  static Path dir;

  static TestDaemon daemon;
  static Path outside;

  private List<String> before;

  @BeforeAll
  static void start() throws Exception {
    daemon = TestDaemon.start(dir, "volumed.socket.max-line-bytes = 2048");
    outside = Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(daemon.pool().resolve("linked"), outside);
    Files.createFile(outside.resolve("victim.img"));
    Files.createSymbolicLink(daemon.pool().resolve("evil.img"), outside.resolve("victim.img"));
  }

  @AfterAll
  static void stop() throws Exception {
    daemon.close();
  }

  @BeforeEach
  void snapshot() throws IOException {
    before = tree(dir);
  }

  @AfterEach
  void nothingWasWritten() throws IOException {
    assertEquals(before, tree(dir), "the request left something behind");
    assertEquals(0, Files.size(outside.resolve("victim.img")));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      ../escape.img                     | INVALID_NAME
      vm1/../../escape.img              | INVALID_NAME
      /etc/passwd                       | INVALID_NAME
      /tmp/abs.img                      | INVALID_NAME
      ./x.img                           | INVALID_NAME
      .hidden.img                       | INVALID_NAME
      vm1/.hidden                       | INVALID_NAME
      a/b/c/d/e.img                     | INVALID_NAME
      vm1//x.img                        | INVALID_NAME
      vm1/x.img/                        | INVALID_NAME
      -rf                               | INVALID_NAME
      has space.img                     | INVALID_NAME
      linked/x.img                      | PERMISSION_DENIED
      evil.img                          | PERMISSION_DENIED
      """)
  void badNamesAreRefused(String name, String code) throws Exception {
    assertCode(code, "{\"id\":1,\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"64M\"}");
  }

  @Test
  void overlongNamesAreRefused() throws Exception {
    assertCode("INVALID_NAME", "{\"op\":\"create\",\"name\":\"" + "a".repeat(129) + "\",\"size\":\"64M\"}");
    String longPath = String.join("/", "a".repeat(100), "b".repeat(100), "c".repeat(60));
    assertCode("INVALID_NAME", "{\"op\":\"create\",\"name\":\"" + longPath + "\",\"size\":\"64M\"}");
    assertCode("INVALID_NAME", "{\"op\":\"create\",\"size\":\"64M\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":42,\"size\":\"64M\"}");
  }

  @ParameterizedTest(name = "size {0}")
  @CsvSource(delimiter = '|', textBlock = """
      0
      -4096
      4095
      4097
      "0"
      "-1G"
      "10X"
      "10 parsecs"
      "1.5G"
      "99999999999999999999"
      "9999999999T"
      ""
      true
      null
      [1]
      1.5
      """)
  void badSizesAreRefused(String size) throws Exception {
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"s.img\",\"size\":" + size + "}");
  }

  @Test
  void unknownFsOrAllocationIsRefused() throws Exception {
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"f.img\",\"size\":\"64M\",\"fs\":\"ntfs\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"f.img\",\"size\":\"64M\",\"fs\":\"EXT4\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"f.img\",\"size\":\"64M\",\"allocation\":\"thick\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"f.img\",\"size\":\"64M\",\"allocation\":7}");
  }

  @Test
  void labelsLongerThanTheFileSystemAllowsAreRefused() throws Exception {
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"l.img\",\"size\":\"64M\",\"label\":\"seventeen-bytes-x\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"l.img\",\"size\":\"320M\",\"fs\":\"xfs\",\"label\":\"thirteen-byte\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"l.img\",\"size\":\"64M\",\"fs\":\"vfat\",\"label\":\"TWELVE-BYTES\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"l.img\",\"size\":\"64M\",\"fs\":\"none\",\"label\":\"raw\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"l.img\",\"size\":\"64M\",\"label\":\"\"}");
  }

  @Test
  void badMkfsArgsAreRefused() throws Exception {
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"m.img\",\"size\":\"64M\",\"mkfsArgs\":\"-m 0\"}");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"m.img\",\"size\":\"64M\",\"mkfsArgs\":[1,2]}");
    assertCode("PERMISSION_DENIED", "{\"op\":\"create\",\"name\":\"m.img\",\"size\":\"64M\",\"mkfsArgs\":[\"-d\",\"/etc\"]}");
    assertCode("PERMISSION_DENIED", "{\"op\":\"create\",\"name\":\"m.img\",\"size\":\"64M\",\"mkfsArgs\":[\"-J\",\"device=/dev/sda\"]}");
    assertCode("PERMISSION_DENIED", "{\"op\":\"create\",\"name\":\"m.img\",\"size\":\"320M\",\"fs\":\"xfs\",\"mkfsArgs\":[\"-d\",\"name=/dev/sda\"]}");
  }

  @Test
  void unknownPoolIsRefused() throws Exception {
    for (String op : new String[] {"create", "get", "list", "delete"}) {
      assertCode("UNKNOWN_POOL",
          "{\"op\":\"" + op + "\",\"pool\":\"nope\",\"name\":\"p.img\",\"size\":\"64M\"}");
    }
  }

  @Test
  void unknownVolumeIsNotFound() throws Exception {
    assertCode("NOT_FOUND", "{\"op\":\"get\",\"name\":\"missing.img\"}");
    assertCode("NOT_FOUND", "{\"op\":\"delete\",\"name\":\"missing.img\"}");
  }

  @Test
  void unknownOpsAndNonJsonLinesAreRefused() throws Exception {
    assertCode("UNKNOWN_OP", "{\"op\":\"mount\",\"name\":\"x.img\"}");
    assertCode("BAD_REQUEST", "{\"op\":null}");
    assertCode("BAD_REQUEST", "{\"id\":{\"nested\":1},\"op\":\"ping\"}");
    assertCode("BAD_REQUEST", "create x.img 10G");
    assertCode("BAD_REQUEST", "\"just a string\"");
    assertCode("BAD_REQUEST", "{\"op\":\"create\",\"name\":\"x.img\",\"size\":\"64M\"");
  }

  @Test
  void idsOverOneHundredTwentyEightBytesOrOfAnotherTypeAreRefusedWithANullId() throws Exception {
    for (String id : List.of("\"" + "i".repeat(129) + "\"", "\"" + "\u00e9".repeat(65) + "\"", "1" + "0".repeat(128),
        "true", "[1]", "{\"a\":1}")) {
      JsonNode reply = daemon.request("{\"id\":" + id + ",\"op\":\"ping\"}");
      assertEquals("BAD_REQUEST", reply.at("/error/code").asText(), id + " -> " + reply);
      assertTrue(reply.get("id").isNull(), "a refused id is not echoed: " + reply);
      assertTrue(reply.at("/error/message").asText().contains("a number or a string of at most 128 bytes"),
          reply.toString());
    }
    for (String id : List.of("\"" + "i".repeat(128) + "\"", "\"" + "\u00e9".repeat(64) + "\"", "12345678901234567890",
        "-1.5", "0")) {
      JsonNode reply = daemon.request("{\"id\":" + id + ",\"op\":\"ping\"}");
      assertTrue(reply.get("ok").asBoolean(), id + " -> " + reply);
      assertEquals(id, reply.get("id").toString(), "the id is echoed as sent");
    }
  }

  @Test
  void aLineOverTheLimitIsRefusedAndClosed() throws Exception {
    try (LineClient client = daemon.connect()) {
      String padded = "{\"op\":\"create\",\"name\":\"big.img\",\"size\":\"64M\",\"label\":\"" + "x".repeat(4000) + "\"}";
      client.sendRaw((padded + "\n").getBytes(StandardCharsets.UTF_8));
      assertEquals("FRAME_TOO_LARGE", client.read().at("/error/code").asText());
      assertTrue(client.closedByPeer(Duration.ofSeconds(10)));
    }
  }

  private static void assertCode(String code, String line) throws Exception {
    JsonNode reply = daemon.request(line);
    assertFalse(reply.get("ok").asBoolean(), line + " -> " + reply);
    assertEquals(code, reply.at("/error/code").asText(), line + " -> " + reply);
    assertFalse(reply.at("/error/message").asText().isBlank(), "a message for " + line);
  }

  /** Every path under the scratch folder, but the metadata folder's own creation at start-up. */
  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      return paths.map(p -> root.relativize(p).toString()).filter(p -> !p.endsWith(".sock")).sorted().toList();
    }
  }
}

package dev.volumed.disk;

import dev.volumed.model.Labels;
import dev.volumed.model.FileSystemType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of label a file system accepts is created through a real daemon and read back with blkid
 * exactly as asked (so the books say what the disk says); every kind it does not store as given is
 * BAD_REQUEST before anything is written.
 */
class LabelsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String E = "\u00e9"; // two bytes in UTF-8

  private static final Formatter PROBE = new Formatter(java.time.Duration.ofSeconds(30));

  @TempDir static Path dir;
  static TestDaemon daemon;

  @BeforeAll
  static void start() throws Exception {
    Tools.assumeAllFileSystems();
    daemon = TestDaemon.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  private static final Map<FileSystemType, List<String>> ACCEPTED = Map.of(
      FileSystemType.EXT4, List.of("abcdefghijklmnop", "  lead and  in", E.repeat(8), "h" + E + "llo w\u00f6rld",
          "a\\b*?\"$'`-x"),
      FileSystemType.EXT3, List.of("abcdefghijklmnop", "a b", E.repeat(7) + "xy"),
      FileSystemType.EXT2, List.of("abcdefghijklmnop", " a  b", "\u20ac" + E),
      FileSystemType.XFS, List.of("abcdefghijkl", "  a  b", E.repeat(6), "-x*?\\"),
      FileSystemType.BTRFS, List.of("b".repeat(254), E.repeat(127), "  a  b", "\u65e5\u672c"),
      FileSystemType.SWAP, List.of("abcdefghijklmno", E.repeat(7) + "x", " a b"),
      FileSystemType.VFAT, List.of("ABCDEFGHIJK", "Ab c", "lower", "A-B_C~!#$%&", "'()@^{}`", "no name"));

  @Test
  void everyAcceptedLabelReadsBackFromBlkidAsGiven() throws Exception {
    int n = 0;
    try (LineClient client = daemon.connect()) {
      for (Map.Entry<FileSystemType, List<String>> entry : ACCEPTED.entrySet()) {
        FileSystemType fs = entry.getKey();
        for (String label : entry.getValue()) {
          String name = "ok" + n++ + ".img";
          JsonNode reply = client.request(create(name, fs, label));
          assertTrue(reply.path("ok").asBoolean(), fs.wireName() + " \"" + label + "\": " + reply);
          assertEquals(label, reply.path("result").path("label").asText(), "the books");
          assertEquals(label, blkidLabel(daemon.pool().resolve(name)), fs.wireName() + " on disk");
          assertEquals(java.util.Optional.of(label), PROBE.probe(daemon.pool().resolve(name)).orElseThrow().label(),
              fs.wireName() + " as volumed reads it when it adopts an image");
          client.request("{\"op\":\"delete\",\"name\":\"" + name + "\"}");
        }
      }
    }
  }

  @Test
  void everyLabelAFileSystemWouldChangeIsRefusedBeforeAnythingIsWritten() throws Exception {
    List<Object[]> refused = new ArrayList<>();
    for (FileSystemType fs : FileSystemType.values()) {
      if (fs == FileSystemType.NONE) {
        refused.add(new Object[] {fs, "raw", "has no label"});
        continue;
      }
      int max = fs.maxLabelBytes();
      refused.add(new Object[] {fs, "x".repeat(max + 1), "is " + (max + 1) + " bytes"});
      refused.add(new Object[] {fs, "", "is 0 bytes"});
      refused.add(new Object[] {fs, "ab ", "ends in a space"});
      refused.add(new Object[] {fs, "a\tb", "control character"});
      refused.add(new Object[] {fs, "a\u007fb", "control character"});
    }
    refused.add(new Object[] {FileSystemType.EXT4, E.repeat(8) + "x", "is 17 bytes"}); // 9 characters
    refused.add(new Object[] {FileSystemType.SWAP, "abcdefghijklmnop", "is 16 bytes"}); // mkswap kept 15
    refused.add(new Object[] {FileSystemType.BTRFS, "b".repeat(255), "is 255 bytes"}); // mkfs.btrfs kept 254
    refused.add(new Object[] {FileSystemType.XFS, E.repeat(6) + "x", "is 13 bytes"});
    refused.add(new Object[] {FileSystemType.VFAT, "caf" + E, "not plain ASCII"});
    refused.add(new Object[] {FileSystemType.VFAT, " AB", "starts with a space"});
    refused.add(new Object[] {FileSystemType.VFAT, "NO NAME", "for no label"});
    for (char c : Labels.VFAT_REFUSED.toCharArray()) {
      refused.add(new Object[] {FileSystemType.VFAT, "A" + c + "B", "holds one of *?.,;:/\\|+=<>[]\""});
    }
    List<String> before = tree(dir);
    try (LineClient client = daemon.connect()) {
      for (Object[] r : refused) {
        FileSystemType fs = (FileSystemType) r[0];
        JsonNode reply = client.request(create("refused.img", fs, (String) r[1]));
        String what = fs.wireName() + " \"" + r[1] + "\": " + reply;
        assertEquals("BAD_REQUEST", reply.path("error").path("code").asText(), what);
        String message = reply.path("error").path("message").asText();
        assertTrue(message.contains((String) r[2]), what);
        if (fs != FileSystemType.NONE) {
          assertTrue(message.contains("a " + fs.wireName() + " label takes " + Labels.accepted(fs)), what);
        }
      }
    }
    assertEquals(before, tree(dir), "a refused label left something behind");
  }

  private static String create(String name, FileSystemType fs, String label) throws IOException {
    String size = fs == FileSystemType.XFS ? "320M" : fs == FileSystemType.BTRFS ? "160M" : "64M";
    return JSON.writeValueAsString(Map.of("op", "create", "name", name, "size", size, "fs", fs.wireName(),
        "label", label));
  }

  /** The label as blkid prints it raw (-o value), decoded as UTF-8: not volumed's own parsing. */
  private static String blkidLabel(Path image) throws Exception {
    Process p = new ProcessBuilder("blkid", "-p", "-o", "value", "-s", "LABEL", image.toString())
        .redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String text = new String(out, StandardCharsets.UTF_8);
    return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
  }

  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      return paths.map(p -> root.relativize(p).toString()).filter(p -> !p.endsWith(".sock")).sorted().toList();
    }
  }
}

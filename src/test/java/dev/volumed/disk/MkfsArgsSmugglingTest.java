package dev.volumed.disk;

import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.FileSystemType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every option on the packaged allowlist, for every file system, is tried with arguments that would
 * make mkfs format a second file (a victim named relatively, as mkfs would resolve it in the working
 * directory volumed was started in): as the token after a flag, after a value, after "--", attached,
 * run together, as an abbreviated long option. Each goes through a real daemon's create; a refusal must
 * be PERMISSION_DENIED, and the victims stay byte for byte as they were. On the old policy
 * btrfs {@code -M victim.img} formatted the victim.
 */
class MkfsArgsSmugglingTest {
  private static final long MIB = 1 << 20;
  private static final long VICTIM_SIZE = 320 * MIB; // large enough for every mkfs, xfs included
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static TestDaemon daemon;
  static Path victim;
  static Path besideTheImage;
  static Map<Path, String> digests;

  @BeforeAll
  static void start() throws Exception {
    Tools.assumeAllFileSystems();
    daemon = TestDaemon.start(dir);
    String name = "victim-" + UUID.randomUUID() + ".img";
    // The JVM's working directory is where mkfs ran before it had a folder of its own.
    victim = Path.of("").toAbsolutePath().resolve(name);
    besideTheImage = dir.resolve(name);
    digests = Map.of(victim, makeVictim(victim), besideTheImage, makeVictim(besideTheImage));
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
    if (victim != null) {
      Files.deleteIfExists(victim);
    }
  }

  @Test
  void noAllowedOptionCanMakeMkfsFormatAnotherFile() throws Exception {
    MkfsArgsPolicy policy = daemon.settings().format().mkfsArgs();
    String v = victim.getFileName().toString();
    int made = 0;
    int refused = 0;
    try (LineClient client = daemon.connect()) {
      for (FileSystemType fs : FileSystemType.values()) {
        if (fs == FileSystemType.NONE) {
          continue;
        }
        assertTrue(!policy.allowed(fs).isEmpty(), "the packaged allowlist names options for " + fs.wireName());
        for (Map.Entry<String, MkfsArgsPolicy.Rule> option : policy.allowed(fs).entrySet()) {
          for (Attempt attempt : attempts(option.getKey(), option.getValue(), v)) {
            JsonNode reply = create(client, fs, attempt.args(), made + refused);
            String code = reply.path("error").path("code").asText();
            String what = fs.wireName() + " " + attempt.args() + ": " + reply;
            if (attempt.mustBeRefused()) {
              assertEquals("PERMISSION_DENIED", code, what);
              assertTrue(reply.path("error").path("message").asText().contains("Accepted for " + fs.wireName())
                  || reply.path("error").path("message").asText().contains("allowed with"), what);
              refused++;
            } else {
              made++;
            }
            assertVictimsUntouched(what);
            if (reply.path("ok").asBoolean()) {
              client.request("{\"op\":\"delete\",\"name\":\"" + reply.path("result").path("name").asText() + "\"}");
            }
          }
        }
      }
    }
    assertTrue(made > 50 && refused > 200, "tried " + made + " accepted and " + refused + " refused argument lists");
    for (Map.Entry<Path, String> d : digests.entrySet()) {
      assertEquals(d.getValue(), sha256(d.getKey()), d.getKey() + " changed");
    }
  }

  /** An argument list, and whether the policy must refuse it (otherwise mkfs runs with it, and may fail). */
  private record Attempt(List<String> args, boolean mustBeRefused) {}

  private static List<Attempt> attempts(String option, MkfsArgsPolicy.Rule rule, String v) {
    List<Attempt> list = new ArrayList<>();
    boolean isLong = option.startsWith("--");
    String good = rule.flag() ? null : rule.keys().isEmpty() ? "1" : rule.keys().iterator().next() + "=1";
    list.add(new Attempt(List.of(v), true));
    list.add(new Attempt(List.of("--", v), true));
    list.add(new Attempt(List.of(option, "--", v), true)); // "--" is a flag's positional marker or a value
    list.add(new Attempt(List.of(option + v), true)); // attached to a short option, or another long name
    if (rule.flag()) {
      list.add(new Attempt(List.of(option, v), true)); // the -M victim.img of the report
      list.add(new Attempt(List.of(option, option, v), true));
      if (isLong) {
        list.add(new Attempt(List.of(option + "=" + v), true));
        list.add(new Attempt(List.of(option.substring(0, option.length() - 1), v), true)); // abbreviated
      } else {
        list.add(new Attempt(List.of(option + "F", v), true)); // run together
      }
    } else {
      list.add(new Attempt(List.of(option, v), !rule.keys().isEmpty())); // as the value: mkfs rejects it
      list.add(new Attempt(List.of(option, good, v), true));
      list.add(new Attempt(List.of(option, v, v), true));
      list.add(new Attempt(List.of(option), true)); // no value: mkfs would take the image as it
      if (isLong) {
        list.add(new Attempt(List.of(option + "=" + good, v), true));
        list.add(new Attempt(List.of(option.substring(0, option.length() - 1), good, v), true)); // abbreviated
      }
      if (!rule.keys().isEmpty()) {
        list.add(new Attempt(List.of(option, good + "," + v), true));
        list.add(new Attempt(List.of(option, rule.keys().iterator().next() + "=" + v), false));
      }
    }
    return list;
  }

  private static JsonNode create(LineClient client, FileSystemType fs, List<String> args, int n) throws Exception {
    ObjectNode request = JSON.createObjectNode().put("op", "create").put("name", "s" + n + ".img")
        .put("size", fs == FileSystemType.XFS ? "320M" : fs == FileSystemType.BTRFS ? "160M" : "64M")
        .put("fs", fs.wireName());
    ArrayNode mkfsArgs = request.putArray("mkfsArgs");
    args.forEach(mkfsArgs::add);
    return client.request(JSON.writeValueAsString(request));
  }

  /** A sparse file the size of a small disk whose first and last MiB are random: any mkfs writes its head. */
  private static String makeVictim(Path path) throws Exception {
    byte[] random = new byte[(int) MIB];
    new Random(path.hashCode()).nextBytes(random);
    try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
      f.setLength(VICTIM_SIZE);
      f.write(random);
      f.seek(VICTIM_SIZE - MIB);
      f.write(random);
    }
    return sha256(path);
  }

  private static void assertVictimsUntouched(String after) throws IOException {
    for (Path p : digests.keySet()) {
      assertEquals(VICTIM_SIZE, Files.size(p), after);
      byte[] head = new byte[(int) MIB];
      new Random(p.hashCode()).nextBytes(head);
      try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
        byte[] read = new byte[(int) MIB];
        f.readFully(read);
        assertArrayEquals(head, read, p + " was written to after " + after);
      }
    }
  }

  private static String sha256(Path path) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (var in = Files.newInputStream(path)) {
      byte[] buffer = new byte[1 << 20];
      for (int r; (r = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, r);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}

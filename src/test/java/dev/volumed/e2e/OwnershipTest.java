package dev.volumed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.settings.Settings;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool's {@code mode}, {@code owner} and {@code group} on the images volumed makes: exactly as
 * configured, whatever the umask, and a configured owner that does not exist stops the start
 * (before a create could fail on it) and leaves nothing behind. Changing owners needs root.
 */
class OwnershipTest {
  @BeforeAll
  static void needsTools() {
    Tools.assumeInstalled("mkfs.ext4");
  }

  /** nobody / nogroup on Debian and Ubuntu; the tests check the host has them. */
  private static final int NOBODY_UID = 65534;
  private static final int NOGROUP_GID = 65534;

  @TempDir Path dir;
  private int counter;

  @BeforeAll
  static void onlyAsRoot(@TempDir Path probe) throws IOException {
    Path file = Files.createFile(probe.resolve("probe"));
    assumeTrue((int) Files.getAttribute(file, "unix:uid") == 0,
        "changing the owner of images needs root; these tests run only as root");
  }

  private Path scratch() throws IOException {
    return Files.createDirectory(dir.resolve("d" + (++counter)));
  }

  @Test
  void anImageGetsThePoolsModeOwnerAndGroupByName() throws Exception {
    assumeTrue(passwdHas("nobody", NOBODY_UID), "no user nobody with uid 65534 on this host");
    try (TestDaemon daemon = TestDaemon.start(scratch(),
        "volumed.pools.default { mode = \"0640\", owner = \"nobody\", group = \"" + NOGROUP_GID + "\" }")) {
      for (String name : List.of("owned.img", "vm1/owned-raw.img")) {
        String fs = name.contains("raw") ? "none" : "ext4";
        JsonNode reply = daemon.request(
            "{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"16M\",\"fs\":\"" + fs + "\"}");
        assertTrue(reply.path("ok").asBoolean(), reply.toString());
        Path image = daemon.pool().resolve(name);
        assertEquals(0640, mode(image), name + ": mode " + Integer.toOctalString(mode(image)));
        assertEquals(NOBODY_UID, Files.getAttribute(image, "unix:uid", LinkOption.NOFOLLOW_LINKS), name);
        assertEquals(NOGROUP_GID, Files.getAttribute(image, "unix:gid", LinkOption.NOFOLLOW_LINKS), name);
      }
    }
  }

  @Test
  void aNumericOwnerAndAGroupNameWorkToo() throws Exception {
    assumeTrue(groupHas("nogroup", NOGROUP_GID), "no group nogroup with gid 65534 on this host");
    try (TestDaemon daemon = TestDaemon.start(scratch(),
        "volumed.pools.default { mode = \"0660\", owner = " + NOBODY_UID + ", group = \"nogroup\" }")) {
      JsonNode reply = daemon.request("{\"op\":\"create\",\"name\":\"num.img\",\"size\":\"8M\",\"fs\":\"none\"}");
      assertTrue(reply.path("ok").asBoolean(), reply.toString());
      Path image = daemon.pool().resolve("num.img");
      assertEquals(0660, mode(image), Integer.toOctalString(mode(image)));
      assertEquals(NOBODY_UID, Files.getAttribute(image, "unix:uid", LinkOption.NOFOLLOW_LINKS));
      assertEquals(NOGROUP_GID, Files.getAttribute(image, "unix:gid", LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void theDefaultModeIs0600AndNoOwnerChangeMeansVolumedsOwn() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(scratch())) {
      JsonNode reply = daemon.request("{\"op\":\"create\",\"name\":\"plain.img\",\"size\":\"16M\"}");
      assertTrue(reply.path("ok").asBoolean(), reply.toString());
      Path image = daemon.pool().resolve("plain.img");
      assertEquals(0600, mode(image), Integer.toOctalString(mode(image)));
      assertEquals(0, Files.getAttribute(image, "unix:uid", LinkOption.NOFOLLOW_LINKS));
      assertEquals(0, Files.getAttribute(image, "unix:gid", LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void theConfiguredModeIsAppliedExactlyWhateverTheUmask() throws Exception {
    // The umask of this JVM (and so of the in-process daemon), seen on a file made with the default 0666.
    int umask = 0666 & ~mode(Files.createFile(dir.resolve("umask-probe")));
    assumeTrue((umask & 0066) != 0, "the umask " + Integer.toOctalString(umask)
        + " clears no group/other bit, so it cannot show whether volumed applies it");
    try (TestDaemon daemon = TestDaemon.start(scratch(), "volumed.pools.default.mode = \"0666\"")) {
      JsonNode reply = daemon.request("{\"op\":\"create\",\"name\":\"wide.img\",\"size\":\"8M\",\"fs\":\"vfat\"}");
      assertTrue(reply.path("ok").asBoolean(), reply.toString());
      Path image = daemon.pool().resolve("wide.img");
      assertEquals(0666, mode(image), "mode " + Integer.toOctalString(mode(image)) + " under umask "
          + Integer.toOctalString(umask));
    }
  }

  @Test
  void anUnknownOwnerIsRefusedAtStartUpAndNothingIsCreated() throws Exception {
    assertUnknownIsRefused("volumed.pools.default.owner = \"no-such-user-volumed\"",
        "volumed.pools.default.owner = no-such-user-volumed: must be a user name that exists on this host or a numeric uid");
  }

  @Test
  void anUnknownGroupIsRefusedAtStartUpAndNothingIsCreated() throws Exception {
    assertUnknownIsRefused("volumed.pools.default.group = \"no-such-group-volumed\"",
        "volumed.pools.default.group = no-such-group-volumed: must be a group name that exists on this host or a numeric gid");
  }

  private void assertUnknownIsRefused(String hocon, String problem) throws Exception {
    Path scratch = scratch();
    Settings.Loaded loaded = Settings.load(TestDaemon.config(scratch, hocon));
    assertEquals(List.of(problem), assertInstanceOf(Settings.Invalid.class, loaded).problems());
    assertEquals(List.of(), filesIn(scratch), "nothing is made for a configuration that is refused");
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static int mode(Path p) throws IOException {
    return (int) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
  }

  /** Everything under the pool except volumed's own (empty) metadata folders. */
  private static List<Path> filesIn(Path pool) throws IOException {
    try (Stream<Path> walk = Files.walk(pool)) {
      return walk.filter(p -> !p.equals(pool))
          .filter(p -> !(p.startsWith(pool.resolve(".volumed")) && Files.isDirectory(p)))
          .toList();
    }
  }

  private static boolean passwdHas(String user, int uid) throws IOException {
    return lineStartsWith(Path.of("/etc/passwd"), user + ":x:" + uid + ":");
  }

  private static boolean groupHas(String group, int gid) throws IOException {
    return lineStartsWith(Path.of("/etc/group"), group + ":x:" + gid + ":");
  }

  private static boolean lineStartsWith(Path file, String prefix) throws IOException {
    try (Stream<String> lines = Files.lines(file)) {
      return lines.anyMatch(l -> l.startsWith(prefix));
    }
  }
}

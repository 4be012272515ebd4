package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each connection's peer credentials are checked: a client running as another user (nobody,
 * through setpriv) that the socket's mode lets in is still refused unless the config allows it.
 */
class PeerCredentialsTest {
  private static final String PYTHON = "/usr/bin/python3";
  private static final String CLIENT = """
      import socket, sys
      s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
      s.connect(sys.argv[1])
      try:
          s.sendall(b'{"id":"peer","op":"ping"}\\n')
      except BrokenPipeError:
          pass  # volumed may refuse and close before the line is written; its answer is still there
      data = b''
      while not data.endswith(b'\\n'):
          chunk = s.recv(4096)
          if not chunk:
              break
          data += chunk
      sys.stdout.write(data.decode())
      """;

  @TempDir
  Path dir;

  @BeforeEach
  void needsRootAndTools() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run a client as another user");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
    assumeTrue(Files.isExecutable(Path.of(PYTHON)), "needs " + PYTHON + " for the foreign client");
    // nobody must be able to reach the socket through the folders.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void aStrangerTheSocketModeLetsInIsRefusedPermissionDenied() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir)) {
      letNogroupConnect(daemon.socket());
      JsonNode reply = pingAsNobody(daemon.socket());
      assertEquals("PERMISSION_DENIED", reply.at("/error/code").asText(), reply.toString());
      assertTrue(reply.at("/error/message").asText().contains("nobody"), reply.toString());
      assertTrue(daemon.request("{\"op\":\"ping\"}").get("ok").asBoolean(), "root is still served");
    }
  }

  @Test
  void allowedUidsAndGidsAreServed() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.socket.allowed-uids = [nobody]")) {
      letNogroupConnect(daemon.socket());
      assertTrue(pingAsNobody(daemon.socket()).get("ok").asBoolean());
    }
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.socket.allowed-gids = [65534]")) {
      letNogroupConnect(daemon.socket());
      assertTrue(pingAsNobody(daemon.socket()).get("ok").asBoolean());
    }
  }

  @Test
  void oneUserPastMaxConnectionsPerUidIsOverloadedWhileAnotherUserIsServed() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir, "volumed.socket.max-connections = 8,"
        + " volumed.socket.max-connections-per-uid = 3, volumed.socket.allowed-uids = [nobody]")) {
      letNogroupConnect(daemon.socket());
      List<LineClient> roots = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          roots.add(LimitsTest.served(daemon));
        }
        try (LineClient fourth = daemon.connect()) {
          JsonNode refused = fourth.read();
          assertEquals("OVERLOADED", refused.at("/error/code").asText(), refused.toString());
          String message = refused.at("/error/message").asText();
          assertTrue(message.contains("3") && message.contains("volumed.socket.max-connections-per-uid"), message);
          assertTrue(fourth.closedByPeer(Duration.ofSeconds(5)));
        }
        JsonNode nobody = pingAsNobody(daemon.socket());
        assertTrue(nobody.get("ok").asBoolean(), "another user is still served: " + nobody);
        roots.remove(0).close();
        roots.add(LimitsTest.served(daemon));
      } finally {
        for (LineClient client : roots) {
          client.close();
        }
      }
    }
  }

  /** The socket's group becomes nogroup, so its 0660 mode lets nobody (gid 65534) connect. */
  private static void letNogroupConnect(Path socket) throws Exception {
    GroupPrincipal nogroup = socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("65534");
    Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(nogroup);
  }

  private static JsonNode pingAsNobody(Path socket) throws Exception {
    Process process = new ProcessBuilder(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        PYTHON, "-c", CLIENT, socket.toString())).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), out);
    return new ObjectMapper().readTree(out);
  }
}

package dev.volumed.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.volumed.disk.Formatter;
import dev.volumed.disk.PoolStore;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.Tools;
import dev.volumed.testing.VolumedProcess;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * volumed started by socket activation, as systemd starts it from volumed.socket, through
 * {@code systemd-socket-activate} (Debian's systemd package), with its config's socket.path
 * somewhere else: the handed socket is served, socket.path never made, and the handed socket's
 * file left in place at the end. NOTIFY_SOCKET is a test listener's datagram socket.
 */
class SocketActivationTest {
  private static final int VOLUMES = 2000;

  @TempDir
  Path dir;

  @BeforeEach
  void needsTheTools() {
    assumeTrue(Files.isExecutable(Path.of(Activated.TOOL)), Activated.TOOL + " is not installed; install the"
        + " package systemd (.ci/run does)");
    assumeTrue(Files.isExecutable(Path.of(NotifyListener.PYTHON)), NotifyListener.PYTHON + " is not installed;"
        + " install the package python3 (.ci/run does)");
  }

  @Test
  void servesTheHandedSocketTellsReadyOnceTheBooksAreLoadedAndLeavesTheSocketFileAtTheEnd() throws Exception {
    Path pool = dir.resolve("pool");
    fillPool(pool, VOLUMES);
    Path elsewhere = dir.resolve("elsewhere").resolve("volumed.sock");
    Path config = config(elsewhere, pool, "");
    Path listen = dir.resolve("activated.sock");
    try (NotifyListener notify = NotifyListener.bind(dir.resolve("notify.sock"));
         Activated daemon = Activated.start(config, listen, dir.resolve("notify.sock"), dir.resolve("volumed.log"))) {
      // This connection is made before volumed runs (it is what makes the tool start it): it waits in the queue.
      try (LineClient early = LineClient.connect(listen)) {
        early.send("{\"id\":\"early\",\"op\":\"ping\"}");
        String ready = notify.next(120);
        assertTrue(ready.startsWith("READY=1\n"), ready);
        assertTrue(ready.contains("STATUS=serving 1 pool, " + VOLUMES + " volumes (default: " + VOLUMES + ")"),
            "the status is told from the loaded books: " + ready);
        JsonNode reply = early.read(Duration.ofSeconds(60));
        assertEquals("early", reply.path("id").asText(), reply.toString());
        assertTrue(reply.path("ok").asBoolean(), "a connection queued before the start is served: " + reply);
      }
      try (LineClient client = LineClient.connect(listen)) {
        JsonNode stats = client.request("{\"op\":\"pools\"}");
        assertTrue(stats.path("ok").asBoolean(), stats.toString());
        assertTrue(stats.toString().contains("\"volumes\":" + VOLUMES), stats.toString());
      }
      assertFalse(Files.exists(elsewhere.getParent(), LinkOption.NOFOLLOW_LINKS),
          "socket.path (and its folder) is never made while socket-activated");
      assertEquals(0, daemon.terminate(), daemon.logText());
      assertEquals("STOPPING=1\nSTATUS=shutting down: draining requests", notify.next(30));
      String log = daemon.logText();
      int loaded = log.indexOf("pool default: " + VOLUMES + " volumes at");
      int told = log.indexOf("ready: serving 1 pool");
      assertTrue(loaded >= 0 && told > loaded, "READY is told after the ledger loaded its books:\n" + log);
    }
    assertTrue(Files.readAttributes(listen, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther(),
        "the handed socket's file is its maker's: still there after SIGTERM");
    assertFalse(Files.exists(elsewhere.getParent(), LinkOption.NOFOLLOW_LINKS), "socket.path is never made");
  }

  @Test
  void peerCredentialsAreCheckedOnTheHandedSocket() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run a client as another user");
    Tools.assumeInstalled("setpriv");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path listen = dir.resolve("activated.sock");
    Path pool = dir.resolve("pool");
    Path refusing = config(dir.resolve("unused.sock"), pool, "");
    try (Activated daemon = Activated.start(refusing, listen, null, dir.resolve("refusing.log"))) {
      // The socket's mode lets anyone connect: only volumed's own check stands between nobody and the pools.
      Files.setPosixFilePermissions(listen, PosixFilePermissions.fromString("rw-rw-rw-"));
      JsonNode reply = pingAsNobody(listen);
      assertEquals("PERMISSION_DENIED", reply.at("/error/code").asText(), reply + "\n" + daemon.logText());
      assertTrue(reply.at("/error/message").asText().contains("nobody"), reply.toString());
      try (LineClient root = LineClient.connect(listen)) {
        assertTrue(root.request("{\"op\":\"ping\"}").path("ok").asBoolean(), "root is still served");
      }
      assertEquals(0, daemon.terminate(), daemon.logText());
    }
    Path allowing = config(dir.resolve("unused.sock"), pool, "volumed.socket.allowed-uids = [nobody]\n");
    Path listenAgain = dir.resolve("activated-again.sock");
    try (Activated daemon = Activated.start(allowing, listenAgain, null, dir.resolve("allowing.log"))) {
      Files.setPosixFilePermissions(listenAgain, PosixFilePermissions.fromString("rw-rw-rw-"));
      JsonNode reply = pingAsNobody(listenAgain);
      assertTrue(reply.path("ok").asBoolean(), "allowed-uids lets nobody in: " + reply + "\n" + daemon.logText());
      assertEquals(0, daemon.terminate(), daemon.logText());
    }
  }

  @Test
  void withoutTheVariablesItBindsAsBeforeAndNothingIsSentOrFails() throws Exception {
    // NOTIFY_SOCKET naming nothing: the one failed send is logged and volumed serves on.
    Path socket = dir.resolve("run").resolve("volumed.sock");
    Path config = config(socket, dir.resolve("pool"), "");
    ProcessBuilder builder = VolumedProcess.command(config);
    builder.environment().put("NOTIFY_SOCKET", dir.resolve("nobody-listens.sock").toString());
    // A LISTEN_PID of another process (e.g. the shell that ran volumed) is not volumed's: it binds its own.
    builder.environment().put("LISTEN_FDS", "1");
    builder.environment().put("LISTEN_PID", "1");
    Path log = dir.resolve("bound.log");
    Process process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      JsonNode reply = VolumedProcess.pingWhenUp(socket, process, log);
      assertTrue(reply.path("ok").asBoolean(), reply.toString());
      process.destroy();
      assertTrue(process.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, process.exitValue(), Files.readString(log));
      assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "a socket volumed bound itself is removed");
      String text = Files.readString(log);
      assertEquals(1, text.split("cannot notify systemd", -1).length - 1, "logged once:\n" + text);
      assertTrue(text.contains("LISTEN_FDS is set for process 1, not this one"), text);
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void aHandedDescriptorThatIsNoListeningUnixSocketStopsVolumedWithExitTwo() throws Exception {
    Path socket = dir.resolve("run").resolve("volumed.sock");
    Path config = config(socket, dir.resolve("pool"), "");
    Path file = Files.writeString(dir.resolve("not-a-socket"), "a file\n");
    String java = String.join(" ", VolumedProcess.command(config).command().stream().map(a -> "'" + a + "'").toList());
    // LISTEN_PID must be volumed's own: the shell sets its pid and execs java, which keeps it.
    assertRefused("LISTEN_PID=$$ LISTEN_FDS=1 exec " + java + " 3<'" + file + "'", "the file descriptor systemd handed over is not a listening stream socket");
    assertRefused("LISTEN_PID=$$ LISTEN_FDS=2 exec " + java + " 3<'" + file + "' 4<'" + file + "'",
        "LISTEN_FDS=2: volumed serves exactly one socket");
    assertFalse(Files.exists(socket.getParent(), LinkOption.NOFOLLOW_LINKS), "nothing is bound instead");
  }

  @Test
  void anAbstractSocketHasNoFileToSayWhoMayConnectAndIsRefused() throws Exception {
    Path config = config(dir.resolve("run/volumed.sock"), dir.resolve("pool"), "");
    String name = "@volumed-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    Path log = dir.resolve("abstract.log");
    try (Activated daemon = Activated.start(config, Path.of(name), null, log)) {
      // The tool starts volumed on the first connection; volumed refuses the socket and exits 2.
      Process poke = new ProcessBuilder(NotifyListener.PYTHON, "-c", "import socket\n"
          + "s = socket.socket(socket.AF_UNIX)\ns.connect('\\0" + name.substring(1) + "')\n").start();
      assertTrue(poke.waitFor(30, TimeUnit.SECONDS));
      assertEquals(2, daemon.waitForExit(), daemon.logText());
      assertTrue(daemon.logText().contains("volumed: the socket systemd handed over has no path"), daemon.logText());
    }
    assertFalse(Files.exists(dir.resolve("run"), LinkOption.NOFOLLOW_LINKS), "nothing is bound instead");
  }

  private void assertRefused(String shell, String expected) throws Exception {
    Process process = new ProcessBuilder("sh", "-c", "export LISTEN_PID LISTEN_FDS; " + shell)
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
    assertEquals(2, process.exitValue(), output);
    assertTrue(output.contains("volumed: " + expected), output);
  }

  /** Images and their metadata as volumed writes them: fs none, sparse, so the start only loads books. */
  static void fillPool(Path pool, int count) throws Exception {
    Files.createDirectories(pool);
    PoolStore store = new PoolStore("default", pool, new Formatter(Duration.ofMinutes(1)));
    for (int i = 0; i < count; i++) {
      String name = String.format("vm-%04d.img", i);
      try (RandomAccessFile image = new RandomAccessFile(pool.resolve(name).toFile(), "rw")) {
        image.setLength(1 << 20);
      }
      VolumeSpec spec = new VolumeSpec(name, 1 << 20, FileSystemType.NONE, Optional.empty(), List.of(),
          Allocation.SPARSE);
      store.writeMetadata(new Volume(spec, Instant.now(), 0, Volume.State.READY, false), false);
    }
  }

  private Path config(Path socket, Path pool, String more) throws Exception {
    Path file = dir.resolve("volumed-" + System.nanoTime() + ".conf");
    Files.writeString(file, "volumed.socket.path = \"" + socket + "\"\nvolumed.pools.default.path = \"" + pool
        + "\"\n" + more, StandardCharsets.UTF_8);
    return file;
  }

  private static final String CLIENT = """
      import socket, sys
      s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
      s.connect(sys.argv[1])
      try:
          s.sendall(b'{"id":"peer","op":"ping"}\\n')
      except BrokenPipeError:
          pass
      data = b''
      while not data.endswith(b'\\n'):
          chunk = s.recv(4096)
          if not chunk:
              break
          data += chunk
      sys.stdout.write(data.decode())
      """;

  private static JsonNode pingAsNobody(Path socket) throws Exception {
    Process process = new ProcessBuilder(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        NotifyListener.PYTHON, "-c", CLIENT, socket.toString())).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), out);
    return new ObjectMapper().readTree(out);
  }
}

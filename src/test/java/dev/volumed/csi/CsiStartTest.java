package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.VolumedProcess;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A volumed asked to serve CSI that cannot (its endpoint or its notes unusable) says so and exits 1. */
class CsiStartTest {
  @TempDir
  Path dir;

  @Test
  void aStateDirThatIsAFileStopsVolumedWithTheReason() throws Exception {
    Path config = NodeDaemons.config(dir);
    Files.writeString(dir.resolve("state"), "not a folder");
    Path log = dir.resolve("volumed.log");
    assertEquals(1, VolumedProcess.exitCodeOf(config, log, Duration.ofSeconds(60)));
    String text = Files.readString(log);
    assertTrue(text.contains("the start-up pass over " + dir.resolve("state") + " failed, so volumed stops"), text);
  }

  @Test
  void anEndpointPathHeldByAFileStopsVolumedAndTheFileStays() throws Exception {
    Path config = NodeDaemons.config(dir);
    Files.writeString(dir.resolve("csi.sock"), "someone's file");
    Path log = dir.resolve("volumed.log");
    assertEquals(1, VolumedProcess.exitCodeOf(config, log, Duration.ofSeconds(60)));
    assertEquals("someone's file", Files.readString(dir.resolve("csi.sock")));
    assertTrue(Files.readString(log).contains("cannot listen there"), Files.readString(log));
  }

  @Test
  void anEndpointAnotherProcessListensOnIsNotTakenOver() throws Exception {
    Path config = NodeDaemons.config(dir);
    Path endpoint = dir.resolve("csi.sock");
    try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      other.bind(UnixDomainSocketAddress.of(endpoint));
      Path log = dir.resolve("volumed.log");
      assertEquals(1, VolumedProcess.exitCodeOf(config, log, Duration.ofSeconds(60)));
      assertTrue(Files.readString(log).contains("another process listens on"), Files.readString(log));
      try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(endpoint))) {
        assertTrue(client.isConnected(), "the other process's socket is still there and still its own");
      }
    }
  }

  @Test
  void aStaleSocketIsReplacedAndTheEndpointIsForItsOwnerOnly() throws Exception {
    Path config = NodeDaemons.config(dir);
    Path endpoint = dir.resolve("csi.sock");
    try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      gone.bind(UnixDomainSocketAddress.of(endpoint));
    }
    assertTrue(Files.exists(endpoint), "a socket file left behind, as a SIGKILL leaves it");
    try (VolumedProcess volumed = VolumedProcess.start(config, dir.resolve("volumed.sock"), dir.resolve("volumed.log"))) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(endpoint)));
      try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(endpoint))) {
        assertTrue(client.isConnected());
      }
    }
  }
}

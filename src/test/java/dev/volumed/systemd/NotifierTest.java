package dev.volumed.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify's datagram, to a path and to an abstract address (whose length must be exact to match). */
class NotifierTest {
  @TempDir
  Path dir;

  @BeforeEach
  void needsPython() {
    assumeTrue(Files.isExecutable(Path.of(NotifyListener.PYTHON)), NotifyListener.PYTHON + " is not installed;"
        + " install the package python3 (.ci/run does)");
  }

  @Test
  void sendsOneDatagramToAPath() throws Exception {
    Path socket = dir.resolve("notify.sock");
    try (NotifyListener listener = NotifyListener.bind(socket)) {
      Notifier notifier = Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", socket.toString()));
      assertTrue(notifier.enabled());
      notifier.send("READY=1\nSTATUS=serving");
      assertEquals("READY=1\nSTATUS=serving", listener.next(30));
    }
  }

  @Test
  void sendsToAnAbstractAddressWrittenWithAnAt() throws Exception {
    String address = "@volumed-notifier-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    try (NotifyListener listener = NotifyListener.bind(address)) {
      Notifier notifier = Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", address));
      notifier.send("STOPPING=1");
      notifier.send("READY=1");
      assertEquals("STOPPING=1", listener.next(30));
      assertEquals("READY=1", listener.next(30));
    }
  }

  @Test
  void withoutTheVariableNothingIsSentAndAFailedSendNeverThrows() {
    assertFalse(Notifier.fromEnvironment(Map.of()).enabled());
    Notifier.fromEnvironment(Map.of()).send("READY=1");
    Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "")).send("READY=1");
    Notifier nobody = Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", dir.resolve("none.sock").toString()));
    nobody.send("READY=1");
    nobody.send("STOPPING=1");
    Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "relative.sock")).send("READY=1");
    Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "/" + "x".repeat(200))).send("READY=1");
  }
}

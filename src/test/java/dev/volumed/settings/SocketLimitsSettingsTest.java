package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** The socket's per-user and per-connection byte limits as an operator writes them. */
class SocketLimitsSettingsTest {
  private static Settings.Socket read(String hocon) {
    return Settings.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve()).socket();
  }

  @Test
  void byDefaultOneUserGetsAQuarterOfTheConnectionsAndEachConnectionFourMibOfUnreadReplies() {
    Settings.Socket socket = read("");
    assertEquals(128, socket.maxConnections());
    assertEquals(32, socket.maxConnectionsPerUid());
    assertEquals(4L << 20, socket.maxBufferedReplyBytes());
    assertEquals(1, read("volumed.socket.max-connections = 3").maxConnectionsPerUid(), "at least one");
    assertEquals(5, read("volumed.socket.max-connections-per-uid = 5").maxConnectionsPerUid());
  }

  @Test
  void aPerUidLimitOutsideOneToMaxConnectionsIsRefusedNamingTheKey() {
    for (String value : new String[] {"0", "-1", "129"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> read("volumed.socket.max-connections-per-uid = " + value));
      assertTrue(e.getMessage().contains("volumed.socket.max-connections-per-uid"), e.getMessage());
    }
  }

  @Test
  void aReplyByteBoundOutsideOneByteToOneGibIsRefusedNamingTheKey() {
    for (String value : new String[] {"0", "2G"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> read("volumed.socket.max-buffered-reply-bytes = " + value));
      assertTrue(e.getMessage().contains("volumed.socket.max-buffered-reply-bytes"), e.getMessage());
    }
  }
}

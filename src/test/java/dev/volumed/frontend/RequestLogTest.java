package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.Test;

/** What a client sent reaches the log short and on one line. */
class RequestLogTest {
  @Test
  void shortValuesAreLoggedAsTheyAre() {
    assertEquals("ping", RequestLog.clip("ping"));
    assertEquals("\"job-7\"", RequestLog.clip(TextNode.valueOf("job-7")));
    assertEquals("null", RequestLog.clip(null));
  }

  @Test
  void longValuesAreCutWithAnEllipsisAndTheirLength() {
    String clipped = RequestLog.clip("x".repeat(1 << 20));
    assertEquals("x".repeat(RequestLog.MAX_CHARS) + "…(1048576 chars)", clipped);
    assertTrue(RequestLog.clip("y".repeat(5000), RequestLog.MAX_MESSAGE_CHARS).length() < RequestLog.MAX_MESSAGE_CHARS + 20);
  }

  @Test
  void controlCharactersAreEscapedSoAValueCannotStartALogLine() {
    assertEquals("a\\u000a2026-01-01 INFO forged\\u000d", RequestLog.clip("a\n2026-01-01 INFO forged\r"));
    String manyNewlines = RequestLog.clip("\n".repeat(1000));
    assertTrue(manyNewlines.length() < RequestLog.MAX_CHARS + 30, manyNewlines);
    assertTrue(manyNewlines.endsWith("…(1000 chars)"), manyNewlines);
  }
}

package dev.volumed.protocol;

import dev.volumed.model.VolumeException;
import dev.volumed.model.ErrorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A request line holds no string longer than any argument can be; such a line is refused early. */
class CodecLimitsTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aStringLongerThanAnyArgumentIsBadRequestNamingTheLimit() {
    VolumeException e = assertThrows(VolumeException.class,
        () -> Codec.parse(utf8("{\"op\":\"ping\",\"id\":\"" + "x".repeat(1 << 20) + "\"}")));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertTrue(e.getMessage().contains(String.valueOf(Codec.MAX_STRING_CHARS)), e.getMessage());
  }

  @Test
  void stringsUpToTheLimitAreRead() throws Exception {
    String pad = "p".repeat(Codec.MAX_STRING_CHARS);
    assertEquals(pad, Codec.parse(utf8("{\"op\":\"ping\",\"pad\":\"" + pad + "\"}")).get("pad").asText());
  }
}

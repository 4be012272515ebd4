package dev.volumed.csi;

import dev.volumed.csi.v1.ListVolumesResponse;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * ListVolumes' pages. Entries go by volume id; a page's next_token names the last id it gave, so
 * the next page starts after it even when volumes came or went in between (no entry twice). A
 * token carries a MAC under a key this process drew at start: one volumed did not issue (or an
 * earlier run issued) is ABORTED, as CSI asks, and the CO starts the listing over.
 */
final class VolumeListing {
  private static final String MAC = "HmacSHA256";
  private static final Base64.Encoder ENCODE = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODE = Base64.getUrlDecoder();

  private final SecretKeySpec key;

  VolumeListing() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    this.key = new SecretKeySpec(bytes, MAC);
  }

  /** One page of {@code entries} (sorted by volume id): at most {@code maxEntries} (0: all) after the token's id. */
  ListVolumesResponse page(List<ListVolumesResponse.Entry> entries, int maxEntries, String startingToken) {
    if (maxEntries < 0) {
      throw Statuses.invalid("max_entries must not be negative, got " + maxEntries);
    }
    int from = 0;
    if (!startingToken.isEmpty()) {
      String after = lastId(startingToken);
      while (from < entries.size() && entries.get(from).getVolume().getVolumeId().compareTo(after) <= 0) {
        from++;
      }
    }
    int to = maxEntries == 0 ? entries.size() : (int) Math.min(entries.size(), (long) from + maxEntries);
    ListVolumesResponse.Builder page = ListVolumesResponse.newBuilder().addAllEntries(entries.subList(from, to));
    if (to < entries.size()) {
      page.setNextToken(token(entries.get(to - 1).getVolume().getVolumeId()));
    }
    return page.build();
  }

  String token(String lastId) {
    byte[] id = lastId.getBytes(StandardCharsets.UTF_8);
    return ENCODE.encodeToString(id) + "." + ENCODE.encodeToString(mac(id));
  }

  /** The id a token this process issued names; ABORTED for any other string. */
  String lastId(String token) {
    int dot = token.indexOf('.');
    try {
      if (dot > 0) {
        byte[] id = DECODE.decode(token.substring(0, dot));
        if (MessageDigest.isEqual(mac(id), DECODE.decode(token.substring(dot + 1)))) {
          return new String(id, StandardCharsets.UTF_8);
        }
      }
    } catch (IllegalArgumentException e) {
      // not base64: not ours
    }
    throw Status.ABORTED.withDescription("starting_token \"" + token + "\" is not one this volumed issued (it may"
        + " have restarted); list again without a token").asRuntimeException();
  }

  private byte[] mac(byte[] id) {
    try {
      Mac mac = Mac.getInstance(MAC);
      mac.init(key);
      return mac.doFinal(id);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(MAC + " is part of every JDK", e);
    }
  }
}

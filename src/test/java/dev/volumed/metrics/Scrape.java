package dev.volumed.metrics;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** GET /metrics of a volumed, and the samples of its text by series ({@code name{labels}} as written). */
final class Scrape {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{.*\\})?) (\\S+)$");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private Scrape() {}

  /** A loopback port nobody listens on now (bound and closed: another process could take it, which these tests do not). */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  static String get(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new AssertionError("GET " + uri + ": " + response.statusCode() + " " + response.body());
    }
    return response.body();
  }

  static String metrics(int port) throws IOException, InterruptedException {
    return get(URI.create("http://127.0.0.1:" + port + "/metrics"));
  }

  /** Every sample of the text: {@code volumed_pool_volumes{pool="default"}} → 2.0. */
  static Map<String, Double> samples(String text) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      Matcher match = SAMPLE.matcher(line);
      if (!line.startsWith("#") && match.matches()) {
        samples.put(match.group(1), Double.parseDouble(match.group(2)));
      }
    }
    return samples;
  }

  /** The sample's value, or 0 when the series is not there (yet). */
  static double value(Map<String, Double> samples, String series) {
    return samples.getOrDefault(series, 0.0);
  }
}

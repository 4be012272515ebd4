package dev.volumed.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The transport of wire protocol v1: one connection to volumed's Unix domain socket per call, one
 * request line out, lines in until the reply with the request's id. Progress events (lines with
 * {@code "event"}) go to the caller's listener, if it gave one, as they arrive.
 */
final class Client {
  private final Path socket;

  Client(Path socket) {
    this.socket = socket;
  }

  /** Sends {@code request} (which must carry an {@code id}) and waits for its reply. */
  Reply call(ObjectNode request) throws ClientException {
    return call(request, event -> {});
  }

  /**
   * Sends {@code request} and waits for its reply, handing each of its events (lines with {@code
   * "event"} and the request's id) to {@code events} on this thread, in the order they came.
   */
  Reply call(ObjectNode request, Consumer<JsonNode> events) throws ClientException {
    JsonNode id = request.get("id");
    try (SocketChannel channel = connect()) {
      byte[] line = (Json.MAPPER.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
      ByteBuffer buffer = ByteBuffer.wrap(line);
      try {
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      } catch (IOException refusedEarly) {
        // volumed answers a connection it will not serve (PERMISSION_DENIED, OVERLOADED) and
        // closes it, maybe before our line is written: its answer is still there to read.
      }
      BufferedReader in =
          new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
      for (String text = in.readLine(); text != null; text = in.readLine()) {
        if (text.isBlank()) {
          continue;
        }
        JsonNode message = parse(text);
        if (message.has("event")) {
          if (id.equals(message.get("id"))) {
            events.accept(message);
          }
          continue;
        }
        JsonNode replyId = message.get("id");
        // A reply with "id": null is about a line volumed could not read (BAD_REQUEST,
        // FRAME_TOO_LARGE); we sent only one, so it is about ours.
        if (replyId == null || replyId.isNull() || replyId.equals(id)) {
          String seen = text;
          return Reply.of(message)
              .orElseThrow(() -> new ClientException("volumed sent a reply without \"ok\": " + abbreviate(seen)));
        }
      }
      throw new ClientException("volumed at " + describe(socket) + " closed the connection before replying");
    } catch (IOException e) {
      throw new ClientException("lost the connection to volumed at " + describe(socket) + ": " + e.getMessage(), e);
    }
  }

  private SocketChannel connect() throws ClientException {
    String hint = "Start it with bin/volumed, or point volumectl at its socket with --socket PATH"
        + " (or VOLUMED_SOCKET).";
    if (!Files.exists(socket)) {
      throw new ClientException(
          "cannot connect to volumed: there is no socket at " + describe(socket) + "\n" + hint);
    }
    if (Files.isDirectory(socket)) {
      throw new ClientException(
          "cannot connect to volumed: " + describe(socket) + " is a directory, not a socket\n" + hint);
    }
    SocketChannel channel = null;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
      return channel;
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      String why = String.valueOf(e.getMessage());
      if (why.contains("refused")) {
        throw new ClientException(
            "cannot connect to volumed: nothing is listening on " + describe(socket)
                + " (volumed is not running, or left a stale socket)\n" + hint, e);
      }
      if (why.contains("ermission denied")) {
        throw new ClientException(
            "cannot connect to volumed: permission denied on " + describe(socket)
                + "\nRun volumectl as a user that may open the socket (see volumed.socket.mode).", e);
      }
      throw new ClientException("cannot connect to volumed at " + describe(socket) + ": " + why + "\n" + hint, e);
    }
  }

  private static JsonNode parse(String text) throws ClientException {
    try {
      JsonNode node = Json.MAPPER.readTree(text);
      if (node == null || !node.isObject()) {
        throw new ClientException("volumed sent a line that is not a JSON object: " + abbreviate(text));
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new ClientException("volumed sent a line that is not JSON: " + abbreviate(text), e);
    }
  }

  /** The path as given, and where it is when it is relative. */
  static String describe(Path path) {
    return path.isAbsolute() ? path.toString() : path + " (" + path.toAbsolutePath() + ")";
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  private static void closeQuietly(SocketChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing more to do: the connection failed already
      }
    }
  }
}

package dev.volumed.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A raw protocol client for tests: writes bytes, reads reply lines with a timeout. */
public final class LineClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Queued by the reader when the daemon closes the connection. */
  private static final String EOF = "\u0000EOF";

  private final SocketChannel channel;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Thread reader;

  private LineClient(SocketChannel channel) {
    this.channel = channel;
    this.reader = new Thread(this::readLoop, "line-client-reader");
    reader.setDaemon(true);
    reader.start();
  }

  public static LineClient connect(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    return new LineClient(channel);
  }

  /** Sends the text followed by a newline. */
  public void send(String line) throws IOException {
    sendRaw((line + "\n").getBytes(StandardCharsets.UTF_8));
  }

  public void sendRaw(byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** The next line from the daemon, parsed; fails the test if none comes within the timeout. */
  public JsonNode read(Duration timeout) throws IOException, InterruptedException {
    String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (line == null) {
      throw new AssertionError("no line from volumed within " + timeout);
    }
    if (line.equals(EOF)) {
      throw new AssertionError("volumed closed the connection");
    }
    return JSON.readTree(line);
  }

  public JsonNode read() throws IOException, InterruptedException {
    return read(Duration.ofSeconds(60));
  }

  /** Sends one request and returns its reply, skipping events. */
  public JsonNode request(String json) throws IOException, InterruptedException {
    send(json);
    while (true) {
      JsonNode line = read();
      if (!line.has("event")) {
        return line;
      }
    }
  }

  /** True when the daemon closes the connection within the timeout (after any lines already sent). */
  public boolean closedByPeer(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String line = lines.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
      if (EOF.equals(line)) {
        return true;
      }
    }
    return false;
  }

  private void readLoop() {
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    ByteArrayOutputStream current = new ByteArrayOutputStream();
    try {
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          byte b = buffer.get();
          if (b == '\n') {
            lines.add(current.toString(StandardCharsets.UTF_8));
            current.reset();
          } else {
            current.write(b);
          }
        }
        buffer.clear();
      }
    } catch (IOException closed) {
      // treated as end of stream
    }
    lines.add(EOF);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}

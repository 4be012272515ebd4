package dev.volumed.frontend;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.function.LongConsumer;

/**
 * Blocking streams over a socket channel that can read and write at the same time.
 * {@code Channels.newInputStream} cannot: it holds the channel's blocking lock while it waits in
 * {@code read}, so a reply could not be written until the client sent another line.
 */
final class ChannelStreams {
  private static final int WRITE_SLICE = 64 * 1024;

  private ChannelStreams() {}

  static InputStream input(SocketChannel channel) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        return channel.read(ByteBuffer.wrap(b, off, len));
      }

      @Override
      public void close() throws IOException {
        if (channel.isOpen()) {
          channel.shutdownInput();
        }
      }
    };
  }

  /** Each write returns once all its bytes are in the socket, and then tells {@code written} how many. */
  static OutputStream output(SocketChannel channel, LongConsumer written) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        // In slices: the JDK copies each write through a direct buffer that its thread keeps, so
        // a long reply written whole would leave that much native memory on every socket thread.
        for (int from = off; from < off + len; from += WRITE_SLICE) {
          ByteBuffer buffer = ByteBuffer.wrap(b, from, Math.min(WRITE_SLICE, off + len - from));
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
        }
        written.accept(len);
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    };
  }
}

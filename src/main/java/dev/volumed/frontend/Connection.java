package dev.volumed.frontend;

import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.japi.pf.PFBuilder;
import akka.stream.ActorAttributes;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Framing;
import akka.stream.javadsl.FramingTruncation;
import akka.stream.javadsl.Source;
import akka.stream.javadsl.StreamConverters;
import akka.util.ByteString;
import java.nio.channels.SocketChannel;

/**
 * One client connection as a stream: bytes in, newline framing with the configured maximum, one
 * handler per request (several in flight, replies matched by id), lines out.
 */
final class Connection {
  static final String SOCKET_DISPATCHER = "volumed.socket-dispatcher";
  private static final int READ_CHUNK = 64 * 1024;

  private Connection() {}

  /** What the framing stage hands on: a line, or the news that a line was too long. */
  sealed interface Line {
    record Complete(ByteString bytes) implements Line {}

    record TooLarge() implements Line {}
  }

  static Flow<ByteString, ByteString, NotUsed> flow(RequestHandler handler, int maxLineBytes, int maxInFlight) {
    return Flow.<ByteString>create()
        .via(Framing.delimiter(ByteString.fromString("\n"), maxLineBytes, FramingTruncation.ALLOW))
        .<Line>map(Line.Complete::new)
        // An oversized line ends the connection after one FRAME_TOO_LARGE reply.
        .recover(new PFBuilder<Throwable, Line>()
            .match(akka.stream.scaladsl.Framing.FramingException.class, e -> new Line.TooLarge())
            .build())
        .flatMapMerge(maxInFlight, line -> line instanceof Line.Complete complete
            ? handler.handle(complete.bytes())
            : Source.single(handler.frameTooLarge(maxLineBytes)));
  }

  static void run(SocketChannel channel, RequestHandler handler, int maxLineBytes, int maxInFlight,
      ActorSystem<?> system, Runnable onClose) {
    StreamConverters.fromInputStream(() -> ChannelStreams.input(channel), READ_CHUNK)
        .withAttributes(ActorAttributes.dispatcher(SOCKET_DISPATCHER))
        .via(flow(handler, maxLineBytes, maxInFlight))
        .runWith(
            StreamConverters.fromOutputStream(() -> ChannelStreams.output(channel), true)
                .withAttributes(ActorAttributes.dispatcher(SOCKET_DISPATCHER)),
            system)
        .whenComplete((result, failure) -> {
          closeQuietly(channel);
          onClose.run();
        });
  }

  static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (java.io.IOException ignored) {
      // already closed
    }
  }
}

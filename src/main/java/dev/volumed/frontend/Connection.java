package dev.volumed.frontend;

import akka.Done;
import akka.NotUsed;
import akka.actor.Cancellable;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.japi.pf.PFBuilder;
import akka.stream.ActorAttributes;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Framing;
import akka.stream.javadsl.FramingTruncation;
import akka.stream.javadsl.Source;
import akka.stream.javadsl.StreamConverters;
import akka.util.ByteString;
import dev.volumed.settings.Settings;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import scala.concurrent.ExecutionContextExecutor;

/**
 * One client connection as a stream: bytes in, newline framing with the configured maximum, one
 * handler per request (several in flight, replies matched by id), lines out.
 */
final class Connection {
  static final String SOCKET_DISPATCHER = "volumed.socket-dispatcher";
  private static final int READ_CHUNK = 64 * 1024;

  private Connection() {}

  /** What answers the lines of a connection: the request handler, or a stand-in in a test. */
  interface Handler {
    /**
     * The lines answering one request line; the last one is marked. {@code inputEnded} completes
     * when the client has sent its last line (a watch ends then; other requests are still answered).
     */
    Source<RequestHandler.Out, NotUsed> handle(ByteString line, ReplyBudget budget, CompletionStage<Done> inputEnded);

    /** The answer to a request over the connection's in-flight bound. */
    ByteString overloaded(ByteString line, int maxInFlight);

    /** The answer to a line longer than the maximum, after which the connection ends. */
    ByteString frameTooLarge(int maxLineBytes);
  }

  /** What the framing stage hands on: a line, or the news that a line was too long. */
  sealed interface Line {
    record Complete(ByteString bytes) implements Line {}

    record TooLarge() implements Line {}
  }

  /** What one connection is doing: requests in flight, and when it last heard from its client. */
  static final class Activity {
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicLong lastRequest = new AtomicLong(System.nanoTime());

    /**
     * No request for the limit, and either nothing in flight or replies held that the client has
     * not read for the limit either (its requests may be waiting for it to read).
     */
    boolean idleFor(Duration limit, ReplyBudget budget) {
      return System.nanoTime() - lastRequest.get() > limit.toNanos()
          && (inFlight.get() == 0 || budget.unreadFor(limit));
    }
  }

  /**
   * Requests beyond {@code maxInFlight} on one connection are answered OVERLOADED at once; the
   * merge is wider than that bound so those answers are not stuck behind the requests in flight.
   * A client that does not read its replies stops being read: by count, through the merge's
   * backpressure, and by bytes, through the budget.
   */
  static Flow<ByteString, ByteString, NotUsed> flow(
      Handler handler, int maxLineBytes, int maxInFlight, Activity activity, ReplyBudget budget) {
    CompletableFuture<Done> inputEnded = new CompletableFuture<>();
    return Flow.<ByteString>create()
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> inputEnded.complete(Done.getInstance()));
          return notUsed;
        })
        .via(Framing.delimiter(ByteString.fromString("\n"), maxLineBytes, FramingTruncation.ALLOW))
        .<Line>map(Line.Complete::new)
        // An oversized line ends the connection after one FRAME_TOO_LARGE reply.
        .recover(new PFBuilder<Throwable, Line>()
            .match(akka.stream.scaladsl.Framing.FramingException.class, e -> new Line.TooLarge())
            .build())
        .mapAsync(1, line -> budget.admit().thenApply(room -> line))
        .flatMapMerge(2 * maxInFlight, line -> replies(line, handler, maxLineBytes, maxInFlight, activity, budget,
                inputEnded)
            .map(bytes -> {
              budget.produced(bytes.size());
              return bytes;
            }));
  }

  /** The lines that answer one request line. */
  private static Source<ByteString, NotUsed> replies(Line line, Handler handler, int maxLineBytes,
      int maxInFlight, Activity activity, ReplyBudget budget, CompletionStage<Done> inputEnded) {
    activity.lastRequest.set(System.nanoTime());
    if (!(line instanceof Line.Complete complete)) {
      return Source.single(handler.frameTooLarge(maxLineBytes));
    }
    if (activity.inFlight.get() >= maxInFlight) {
      return Source.single(handler.overloaded(complete.bytes(), maxInFlight));
    }
    activity.inFlight.incrementAndGet();
    // The slot is free as soon as the reply is produced (before the client can read it and
    // send the next request), or when the request's stream ends without one.
    AtomicBoolean released = new AtomicBoolean();
    Runnable release = () -> {
      if (released.compareAndSet(false, true)) {
        activity.inFlight.decrementAndGet();
        activity.lastRequest.set(System.nanoTime());
      }
    };
    return handler.handle(complete.bytes(), budget, inputEnded)
        .map(out -> {
          if (out.last()) {
            release.run();
          }
          return out.bytes();
        })
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> release.run());
          return notUsed;
        });
  }

  static void run(SocketChannel channel, RequestHandler handler, Settings.Socket settings,
      ActorSystem<?> system, Runnable onClose) {
    Activity activity = new Activity();
    ReplyBudget budget = new ReplyBudget(settings.maxBufferedReplyBytes());
    Cancellable idleCheck = closeWhenIdle(channel, activity, budget, settings.idleTimeout(), system);
    StreamConverters.fromInputStream(() -> ChannelStreams.input(channel), READ_CHUNK)
        .withAttributes(ActorAttributes.dispatcher(SOCKET_DISPATCHER))
        .via(flow(handler, settings.maxLineBytes(), settings.maxInFlightPerConnection(), activity, budget))
        .runWith(
            StreamConverters.fromOutputStream(() -> ChannelStreams.output(channel, budget::written), true)
                .withAttributes(ActorAttributes.dispatcher(SOCKET_DISPATCHER)),
            system)
        .whenComplete((result, failure) -> {
          idleCheck.cancel();
          closeQuietly(channel);
          onClose.run();
        });
  }

  /** An idle connection is closed (see {@link Activity#idleFor}). */
  private static Cancellable closeWhenIdle(SocketChannel channel, Activity activity, ReplyBudget budget,
      Duration idleTimeout, ActorSystem<?> system) {
    ExecutionContextExecutor io = system.dispatchers().lookup(DispatcherSelector.fromConfig(SOCKET_DISPATCHER));
    Duration every = idleTimeout.dividedBy(4).isZero() ? idleTimeout : idleTimeout.dividedBy(4);
    return system.scheduler().scheduleAtFixedRate(every, every, () -> {
      if (activity.idleFor(idleTimeout, budget)) {
        closeQuietly(channel);
      }
    }, io);
  }

  static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}

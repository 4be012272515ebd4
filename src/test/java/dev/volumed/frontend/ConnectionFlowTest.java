package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.stream.javadsl.Source;
import akka.stream.javadsl.Sink;
import akka.util.ByteString;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Connection#flow} without a daemon: bytes in as a socket would deliver them, a stand-in
 * handler that answers each line with "re:" and the line (when the test says so), lines out.
 */
class ConnectionFlowTest {
  private static final int MAX_LINE = 64;
  private static ActorSystem<Void> system;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "connection-flow");
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  /** Answers each line when the test completes its reply; the lines it was given, in order. */
  static final class StandIn implements Connection.Handler {
    final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final List<String> given = new java.util.concurrent.CopyOnWriteArrayList<>();
    final Map<String, CompletableFuture<Void>> replies = new ConcurrentHashMap<>();
    final boolean answerAtOnce;

    StandIn(boolean answerAtOnce) {
      this.answerAtOnce = answerAtOnce;
    }

    @Override
    public Source<RequestHandler.Out, NotUsed> handle(ByteString line, ReplyBudget budget,
        java.util.concurrent.CompletionStage<akka.Done> inputEnded) {
      String text = line.utf8String();
      given.add(text);
      lines.add(text);
      CompletableFuture<Void> reply = reply(text);
      if (answerAtOnce) {
        reply.complete(null);
      }
      return Source.completionStage(reply.thenApply(done -> new RequestHandler.Out(ByteString.fromString("re:" + text + "\n"), true)));
    }

    CompletableFuture<Void> reply(String line) {
      return replies.computeIfAbsent(line, l -> new CompletableFuture<>());
    }

    String next() throws InterruptedException {
      return lines.poll(10, TimeUnit.SECONDS);
    }

    @Override
    public ByteString overloaded(ByteString line, int maxInFlight) {
      return ByteString.fromString("overloaded:" + line.utf8String() + "\n");
    }

    @Override
    public ByteString frameTooLarge(int maxLineBytes) {
      return ByteString.fromString("too large:" + maxLineBytes + "\n");
    }
  }

  /** The lines a connection writes, as they come; {@link #done} when the connection ends. */
  record Output(LinkedBlockingQueue<String> lines, List<String> written, CompletableFuture<akka.Done> done) {
    /** The next line not yet taken. */
    String next() throws InterruptedException {
      return lines.poll(10, TimeUnit.SECONDS);
    }

    /** Everything it wrote, in order, once it has ended. */
    List<String> all() throws Exception {
      done.get(10, TimeUnit.SECONDS);
      return List.copyOf(written);
    }
  }

  private static Output run(Connection.Handler handler, int maxInFlight, String... reads) {
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    List<String> written = new java.util.concurrent.CopyOnWriteArrayList<>();
    CompletableFuture<akka.Done> done = Source.from(List.of(reads)).map(ByteString::fromString)
        .via(Connection.flow(handler, MAX_LINE, maxInFlight, new Connection.Activity(), new ReplyBudget(1 << 20)))
        .runWith(Sink.foreach(bytes -> {
          written.add(bytes.utf8String());
          lines.add(bytes.utf8String());
        }), system)
        .toCompletableFuture();
    return new Output(lines, written, done);
  }

  @Test
  void aLineSplitAcrossReadsIsOneRequest() throws Exception {
    StandIn handler = new StandIn(true);
    Output out = run(handler, 4, "{\"op\"", ":\"pi", "ng\"}", "\n{\"op\":\"pools\"}\n");
    // Replies go out as they are made, not in request order: a client matches them by id.
    assertEquals(Set.of("re:{\"op\":\"ping\"}\n", "re:{\"op\":\"pools\"}\n"), Set.copyOf(out.all()));
    assertEquals(List.of("{\"op\":\"ping\"}", "{\"op\":\"pools\"}"), handler.given);
  }

  @Test
  void anOversizedLineIsAnsweredOnceAndEndsTheConnection() throws Exception {
    StandIn handler = new StandIn(true);
    Output out = run(handler, 4, "a\n", "x".repeat(MAX_LINE + 1), "\nb\n");
    assertEquals(Set.of("re:a\n", "too large:" + MAX_LINE + "\n"), Set.copyOf(out.all()), "and then it ended");
    assertEquals(List.of("a"), handler.given, "nothing after the oversized line is read");
  }

  @Test
  void pipelinedRequestsAreInFlightTogetherAndAnsweredAsTheyFinish() throws Exception {
    StandIn handler = new StandIn(false);
    Output out = run(handler, 4, "one\ntwo\nthree\n");
    assertEquals("one", handler.next());
    assertEquals("two", handler.next());
    assertEquals("three", handler.next());
    handler.reply("three").complete(null);
    assertEquals("re:three\n", out.next());
    handler.reply("one").complete(null);
    assertEquals("re:one\n", out.next());
    handler.reply("two").complete(null);
    assertEquals(List.of("re:three\n", "re:one\n", "re:two\n"), out.all());
  }

  @Test
  void aRequestOverTheInFlightBoundIsAnsweredAtOnce() throws Exception {
    StandIn handler = new StandIn(false);
    Output out = run(handler, 1, "slow\nextra\n");
    assertEquals("slow", handler.next());
    assertEquals("overloaded:extra\n", out.next(), "answered while slow is still in flight");
    handler.reply("slow").complete(null);
    assertEquals(List.of("overloaded:extra\n", "re:slow\n"), out.all());
    assertEquals(List.of("slow"), handler.given, "the extra line never reached the handler");
  }
}

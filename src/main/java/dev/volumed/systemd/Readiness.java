package dev.volumed.systemd;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolManager;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Tells systemd when volumed is ready: {@code READY=1} once the socket is served and every pool
 * manager has answered a stats request (its ledger answers only once its books are loaded), with
 * a {@code STATUS=} line of the pools and their volumes; {@code STOPPING=1} when a coordinated
 * shutdown begins. Like a query in Akka's IoT tutorial, it asks every pool once.
 */
public final class Readiness extends AbstractBehavior<Readiness.Command> {

  public interface Command {}

  /** The front end accepts on its socket. */
  public enum Listening implements Command { INSTANCE }

  private record Answered(String pool, String status, long volumes) implements Command {}

  public static Behavior<Command> create(Notifier notifier, Map<String, ActorRef<PoolManager.Command>> pools,
      Duration timeout) {
    return Behaviors.setup(context -> new Readiness(context, notifier, pools, timeout));
  }

  private final Notifier notifier;
  private final int poolCount;
  /** Each pool's part of the status line, by name; complete when every pool answered. */
  private final Map<String, String> answers = new TreeMap<>();
  private long volumes;
  private boolean listening;
  private boolean told;

  private Readiness(ActorContext<Command> context, Notifier notifier, Map<String, ActorRef<PoolManager.Command>> pools,
      Duration timeout) {
    super(context);
    this.notifier = notifier;
    this.poolCount = pools.size();
    pools.forEach((name, manager) -> context.ask(Ledger.StatsReply.class, manager, timeout, PoolManager.GetStats::new,
        (reply, failure) -> answered(name, reply, timeout)));
    CoordinatedShutdown.get(context.getSystem()).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "notify-stopping", () -> {
          notifier.send("STOPPING=1\nSTATUS=shutting down: draining requests");
          return CompletableFuture.completedFuture(Done.getInstance());
        });
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Listening.class, this::onListening)
        .onMessage(Answered.class, this::onAnswered)
        .build();
  }

  private Behavior<Command> onListening(Listening listening) {
    this.listening = true;
    return tellWhenReady();
  }

  private Behavior<Command> onAnswered(Answered answered) {
    answers.put(answered.pool(), answered.status());
    volumes += answered.volumes();
    return tellWhenReady();
  }

  private Behavior<Command> tellWhenReady() {
    if (told || !listening || answers.size() < poolCount) {
      return this;
    }
    told = true;
    String status = "serving " + poolCount + (poolCount == 1 ? " pool, " : " pools, ") + volumes + " volumes ("
        + String.join(", ", answers.values()) + ")";
    getContext().getLog().info("ready: {}", status);
    notifier.send("READY=1\nSTATUS=" + status);
    return this;
  }

  /** A pool's part of the status line; runs outside the actor, so it touches no state. */
  private static Answered answered(String pool, Ledger.StatsReply reply, Duration timeout) {
    if (reply instanceof Ledger.PoolStats stats) {
      return new Answered(pool, pool + ": " + stats.volumes(), stats.volumes());
    }
    if (reply instanceof Ledger.Refused refused) {
      return new Answered(pool, pool + ": unusable (" + refused.message() + ")", 0);
    }
    return new Answered(pool, pool + ": no answer within " + timeout, 0);
  }
}

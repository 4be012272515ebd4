package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.model.VolumeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Deletes one volume: the ledger marks it busy, then unless something holds its image open (a
 * running VM: BUSY naming the holders, and the volume stays as it was) the image and its metadata
 * go, and the books follow.
 */
public final class DeleteWorker extends AbstractBehavior<DeleteWorker.Command> {

  public interface Command {}

  public sealed interface Result {}

  public record Deleted(String name) implements Result {}

  public record Failed(VolumeException error) implements Result {}

  private record Approved(Ledger.DeleteReply reply) implements Command {}

  private record Removed(Throwable failure) implements Command {}

  public static Behavior<Command> create(
      String name, ActorRef<Ledger.Command> ledger, VolumeBuilder builder, ActorRef<Result> replyTo) {
    return Behaviors.setup(context -> new DeleteWorker(context, name, ledger, builder, replyTo));
  }

  private final String name;
  private final ActorRef<Ledger.Command> ledger;
  private final VolumeBuilder builder;
  private final ActorRef<Result> replyTo;
  private final Executor blocking;

  private DeleteWorker(
      ActorContext<Command> context,
      String name,
      ActorRef<Ledger.Command> ledger,
      VolumeBuilder builder,
      ActorRef<Result> replyTo) {
    super(context);
    this.name = name;
    this.ledger = ledger;
    this.builder = builder;
    this.replyTo = replyTo;
    this.blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    ledger.tell(new Ledger.BeginDelete(name, context.messageAdapter(Ledger.DeleteReply.class, Approved::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Approved.class, this::onApproved)
        .onMessage(Removed.class, this::onRemoved)
        .build();
  }

  private Behavior<Command> onApproved(Approved approved) {
    if (approved.reply() instanceof Ledger.Refused refused) {
      replyTo.tell(new Failed(new VolumeException(refused.code(), refused.message())));
      return Behaviors.stopped();
    }
    getContext().pipeToSelf(
        CompletableFuture.runAsync(() -> {
          try {
            builder.refuseIfHeld(name, "delete");
            builder.delete(name);
          } catch (VolumeException e) {
            throw new CompletionException(e);
          }
        }, blocking),
        (ok, failure) -> new Removed(failure));
    return this;
  }

  private Behavior<Command> onRemoved(Removed removed) {
    ledger.tell(new Ledger.DeleteFinished(name, removed.failure() == null));
    replyTo.tell(removed.failure() == null
        ? new Deleted(name)
        : new Failed(CreateWorker.asVolumeException(removed.failure())));
    return Behaviors.stopped();
  }
}

package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.protocol.ErrorCode;
import dev.volumed.protocol.VolumeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Makes one volume: asks the ledger for a reservation, builds the image on the blocking
 * dispatcher, reports the outcome to the ledger and to the client, and stops. If it dies on the
 * way, the ledger (which watches it) releases the reservation.
 */
public final class CreateWorker extends AbstractBehavior<CreateWorker.Command> {

  public interface Command {}

  public sealed interface Result {}

  public record Created(Volume volume, boolean existed) implements Result {}

  public record Failed(VolumeException error) implements Result {}

  private record Reserved(Ledger.ReserveReply reply) implements Command {}

  private record Built(Volume volume, Throwable failure) implements Command {}

  public static Behavior<Command> create(
      VolumeSpec spec, ActorRef<Ledger.Command> ledger, VolumeBuilder builder, ActorRef<Result> replyTo) {
    return Behaviors.setup(context -> new CreateWorker(context, spec, ledger, builder, replyTo));
  }

  private final VolumeSpec spec;
  private final ActorRef<Ledger.Command> ledger;
  private final VolumeBuilder builder;
  private final ActorRef<Result> replyTo;
  private final Executor blocking;
  private long reservationId;

  private CreateWorker(
      ActorContext<Command> context,
      VolumeSpec spec,
      ActorRef<Ledger.Command> ledger,
      VolumeBuilder builder,
      ActorRef<Result> replyTo) {
    super(context);
    this.spec = spec;
    this.ledger = ledger;
    this.builder = builder;
    this.replyTo = replyTo;
    this.blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    ActorRef<Ledger.ReserveReply> adapter = context.messageAdapter(Ledger.ReserveReply.class, Reserved::new);
    ledger.tell(new Ledger.Reserve(spec, adapter));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Reserved.class, this::onReserved)
        .onMessage(Built.class, this::onBuilt)
        .build();
  }

  private Behavior<Command> onReserved(Reserved reserved) {
    if (reserved.reply() instanceof Ledger.Admitted admitted) {
      reservationId = admitted.reservationId();
      getContext().pipeToSelf(
          CompletableFuture.supplyAsync(this::build, blocking),
          Built::new);
      return this;
    }
    if (reserved.reply() instanceof Ledger.Existed existed) {
      replyTo.tell(new Created(existed.volume(), true));
    } else if (reserved.reply() instanceof Ledger.Refused refused) {
      replyTo.tell(new Failed(new VolumeException(refused.code(), refused.message())));
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> onBuilt(Built built) {
    if (built.failure() == null) {
      ledger.tell(new Ledger.Complete(reservationId, built.volume()));
      replyTo.tell(new Created(built.volume(), false));
    } else {
      ledger.tell(new Ledger.Release(reservationId));
      replyTo.tell(new Failed(asVolumeException(built.failure())));
    }
    return Behaviors.stopped();
  }

  private Volume build() {
    try {
      return builder.create(spec);
    } catch (VolumeException e) {
      throw new CompletionException(e);
    }
  }

  static VolumeException asVolumeException(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
    if (cause instanceof VolumeException ve) {
      return ve;
    }
    return new VolumeException(ErrorCode.INTERNAL, "unexpected failure: " + cause, cause);
  }
}

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
 * Makes one volume on the blocking dispatcher and stops. Three shapes of the same job:
 * <ul>
 *   <li>{@link #create}: asks the ledger for a reservation, builds and publishes, reports to the
 *       ledger and the client;
 *   <li>{@link #createReserved}: the same with a reservation a batch already holds;
 *   <li>{@link #prepare}: builds under the temporary name only, for an atomic batch that
 *       publishes all its volumes together or none of them.
 * </ul>
 * If it dies on the way, the ledger (which watches the reservation's owner) releases the space.
 */
public final class CreateWorker extends AbstractBehavior<CreateWorker.Command> {

  public interface Command {}

  public sealed interface Result {
    String name();
  }

  public record Created(Volume volume, boolean existed) implements Result {
    public String name() {
      return volume.name();
    }
  }

  public record Prepared(VolumeBuilder.Prepared prepared) implements Result {
    public String name() {
      return prepared.volume().name();
    }
  }

  public record Failed(String name, VolumeException error) implements Result {}

  private record Reserved(Ledger.ReserveReply reply) implements Command {}

  private record Built(VolumeBuilder.Prepared prepared, Throwable failure) implements Command {}

  private enum Mode { RESERVE_AND_PUBLISH, PUBLISH, PREPARE_ONLY }

  public static Behavior<Command> create(
      VolumeSpec spec, ActorRef<Ledger.Command> ledger, VolumeBuilder builder, ActorRef<Result> replyTo) {
    return Behaviors.setup(context -> new CreateWorker(context, Mode.RESERVE_AND_PUBLISH, spec, 0, ledger, builder, replyTo));
  }

  public static Behavior<Command> createReserved(VolumeSpec spec, long reservationId,
      ActorRef<Ledger.Command> ledger, VolumeBuilder builder, ActorRef<Result> replyTo) {
    return Behaviors.setup(context -> new CreateWorker(context, Mode.PUBLISH, spec, reservationId, ledger, builder, replyTo));
  }

  public static Behavior<Command> prepare(VolumeSpec spec, VolumeBuilder builder, ActorRef<Result> replyTo) {
    return Behaviors.setup(context -> new CreateWorker(context, Mode.PREPARE_ONLY, spec, 0, null, builder, replyTo));
  }

  private final Mode mode;
  private final VolumeSpec spec;
  private final ActorRef<Ledger.Command> ledger;
  private final VolumeBuilder builder;
  private final ActorRef<Result> replyTo;
  private final Executor blocking;
  private long reservationId;

  private CreateWorker(ActorContext<Command> context, Mode mode, VolumeSpec spec, long reservationId,
      ActorRef<Ledger.Command> ledger, VolumeBuilder builder, ActorRef<Result> replyTo) {
    super(context);
    this.mode = mode;
    this.spec = spec;
    this.reservationId = reservationId;
    this.ledger = ledger;
    this.builder = builder;
    this.replyTo = replyTo;
    this.blocking = context.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    if (mode == Mode.RESERVE_AND_PUBLISH) {
      ledger.tell(new Ledger.Reserve(spec, context.messageAdapter(Ledger.ReserveReply.class, Reserved::new)));
    } else {
      startBuilding();
    }
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
      startBuilding();
      return this;
    }
    if (reserved.reply() instanceof Ledger.Existed existed) {
      replyTo.tell(new Created(existed.volume(), true));
    } else if (reserved.reply() instanceof Ledger.Refused refused) {
      replyTo.tell(new Failed(spec.name(), new VolumeException(refused.code(), refused.message())));
    }
    return Behaviors.stopped();
  }

  private void startBuilding() {
    boolean publish = mode != Mode.PREPARE_ONLY;
    getContext().pipeToSelf(
        CompletableFuture.supplyAsync(() -> {
          try {
            VolumeBuilder.Prepared prepared = builder.prepare(spec);
            if (publish) {
              builder.publish(prepared);
            }
            return prepared;
          } catch (VolumeException e) {
            throw new CompletionException(e);
          }
        }, blocking),
        Built::new);
  }

  private Behavior<Command> onBuilt(Built built) {
    if (built.failure() != null) {
      if (ledger != null) {
        ledger.tell(new Ledger.Release(reservationId));
      }
      replyTo.tell(new Failed(spec.name(), asVolumeException(built.failure())));
    } else if (mode == Mode.PREPARE_ONLY) {
      replyTo.tell(new Prepared(built.prepared()));
    } else {
      ledger.tell(new Ledger.Complete(reservationId, built.prepared().volume()));
      replyTo.tell(new Created(built.prepared().volume(), false));
    }
    return Behaviors.stopped();
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

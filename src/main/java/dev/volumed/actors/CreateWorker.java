package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Makes one volume, in two steps on the blocking dispatcher: <em>prepare</em> (allocate and
 * format under the temporary name) and <em>publish</em> (metadata, fsync, rename, fsync the
 * folder). Three shapes of the job:
 * <ul>
 *   <li>{@link #create}: a single create; asks the ledger for the reservation first;
 *   <li>{@link #member}: a volume of a non-atomic batch, whose reservation the batch holds; it
 *       reports {@link Prepared} between the steps, so the batch can start the next mkfs while
 *       this one is flushed;
 *   <li>{@link #atomicMember}: a volume of an atomic batch; after {@link Prepared} it waits for
 *       {@link Publish} or {@link Discard}, so the batch keeps all of its volumes or none.
 * </ul>
 * If it dies on the way, the ledger (which watches the reservation's owner) releases the space,
 * and an image it had prepared, or prepares after it stopped, is discarded.
 */
public final class CreateWorker extends AbstractBehavior<CreateWorker.Command> {

  public interface Command {}

  /** Atomic batch: every volume is prepared, publish this one. */
  public enum Publish implements Command { INSTANCE }

  /** Atomic batch: some volume failed, remove this one's image. */
  public enum Discard implements Command { INSTANCE }

  public sealed interface Result {
    String name();
  }

  public record Created(Volume volume, boolean existed) implements Result {
    public String name() {
      return volume.name();
    }
  }

  /** The image is built and formatted under its temporary name. */
  public record Prepared(String name) implements Result {}

  /** The prepared image was removed, on {@link Discard}. */
  public record Discarded(String name) implements Result {}

  public record Failed(String name, VolumeException error) implements Result {}

  private record Reserved(Ledger.ReserveReply reply) implements Command {}

  private record Built(VolumeBuilder.Prepared prepared, Throwable failure) implements Command {}

  /** The volume as published (its blocks measured after the flush), or why publishing failed. */
  private record Published(Volume volume, Throwable failure) implements Command {}

  private enum DiscardDone implements Command { INSTANCE }

  private enum Mode { SINGLE, MEMBER, ATOMIC_MEMBER }

  public static Behavior<Command> create(
      VolumeSpec spec, ActorRef<Ledger.Command> ledger, VolumeBuilder builder, ActorRef<Result> replyTo) {
    return Behaviors.setup(context -> new CreateWorker(context, Mode.SINGLE, spec, 0, ledger, builder, replyTo));
  }

  public static Behavior<Command> member(VolumeSpec spec, long reservationId,
      ActorRef<Ledger.Command> ledger, VolumeBuilder builder, ActorRef<Result> replyTo) {
    return Behaviors.setup(context -> new CreateWorker(context, Mode.MEMBER, spec, reservationId, ledger, builder, replyTo));
  }

  public static Behavior<Command> atomicMember(VolumeSpec spec, VolumeBuilder builder, ActorRef<Result> replyTo) {
    return Behaviors.setup(context -> new CreateWorker(context, Mode.ATOMIC_MEMBER, spec, 0, null, builder, replyTo));
  }

  private final Mode mode;
  private final VolumeSpec spec;
  private final ActorRef<Ledger.Command> ledger;
  private final VolumeBuilder builder;
  private final ActorRef<Result> replyTo;
  private final Executor blocking;
  private long reservationId;
  /** The image built under its temporary name, not handed to a publish or discard yet. */
  private VolumeBuilder.Prepared prepared;
  /** The image being published (or published). */
  private VolumeBuilder.Prepared publishing;
  /**
   * Hands a prepared image from the blocking thread to this actor, which may stop meanwhile (its
   * batch gave it up, or the daemon stops): whichever of the two comes second removes the image.
   * Guards {@link #landed} and {@link #stopped}.
   */
  private final Object handover = new Object();
  /** Prepared on the blocking thread, its {@link Built} not taken yet. */
  private VolumeBuilder.Prepared landed;
  private boolean stopped;

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
    if (mode == Mode.SINGLE) {
      ledger.tell(new Ledger.Reserve(spec, context.messageAdapter(Ledger.ReserveReply.class, Reserved::new)));
    } else {
      startPreparing();
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Reserved.class, this::onReserved)
        .onMessage(Built.class, this::onBuilt)
        .onMessage(Publish.class, publish -> startPublishing())
        .onMessage(Discard.class, this::onDiscard)
        .onMessage(Published.class, this::onPublished)
        .onMessage(DiscardDone.class, done -> reply(new Discarded(spec.name())))
        .onSignal(PostStop.class, this::onPostStop)
        .build();
  }

  private Behavior<Command> onReserved(Reserved reserved) {
    if (reserved.reply() instanceof Ledger.Admitted admitted) {
      reservationId = admitted.reservationId();
      startPreparing();
      return this;
    }
    if (reserved.reply() instanceof Ledger.Existed existed) {
      return reply(new Created(existed.volume(), true));
    }
    Ledger.Refused refused = (Ledger.Refused) reserved.reply();
    return reply(new Failed(spec.name(), new VolumeException(refused.code(), refused.message())));
  }

  private void startPreparing() {
    getContext().pipeToSelf(
        CompletableFuture.supplyAsync(() -> {
          try {
            VolumeBuilder.Prepared image = builder.prepare(spec);
            synchronized (handover) {
              if (!stopped) {
                landed = image;
                return image;
              }
            }
            builder.discard(image);
            throw new CompletionException(new VolumeException(ErrorCode.INTERNAL, "stopped while preparing"));
          } catch (VolumeException e) {
            throw new CompletionException(e);
          }
        }, blocking),
        Built::new);
  }

  private Behavior<Command> onBuilt(Built built) {
    if (built.failure() != null) {
      return fail(built.failure());
    }
    synchronized (handover) {
      landed = null;
    }
    prepared = built.prepared();
    if (mode == Mode.SINGLE) {
      return startPublishing();
    }
    replyTo.tell(new Prepared(spec.name()));
    return mode == Mode.MEMBER ? startPublishing() : this;
  }

  private Behavior<Command> startPublishing() {
    VolumeBuilder.Prepared image = prepared;
    // From here the publish owns the image: it cleans up after itself if it fails, and PostStop
    // must not discard it (and close its folder) underneath it.
    prepared = null;
    publishing = image;
    // An atomic batch flushes once for all its volumes when it commits (see VolumeBuilder).
    boolean durably = mode != Mode.ATOMIC_MEMBER;
    getContext().pipeToSelf(
        CompletableFuture.supplyAsync(() -> {
          try {
            if (durably) {
              return builder.publish(image);
            }
            builder.publishUnsynced(image);
            return image.volume();
          } catch (VolumeException e) {
            throw new CompletionException(e);
          }
        }, blocking),
        (volume, failure) -> new Published(volume, failure));
    return this;
  }

  private Behavior<Command> onPublished(Published published) {
    if (published.failure() != null) {
      return fail(published.failure());
    }
    Volume volume = published.volume();
    if (mode != Mode.ATOMIC_MEMBER) {
      ledger.tell(new Ledger.Complete(reservationId, volume));
    }
    return reply(new Created(volume, false));
  }

  private Behavior<Command> onDiscard(Discard discard) {
    VolumeBuilder.Prepared image = prepared;
    prepared = null;
    getContext().pipeToSelf(CompletableFuture.runAsync(() -> builder.discard(image), blocking),
        (ok, failure) -> DiscardDone.INSTANCE);
    return this;
  }

  private Behavior<Command> fail(Throwable failure) {
    if (mode != Mode.ATOMIC_MEMBER) {
      ledger.tell(new Ledger.Release(reservationId));
    }
    return reply(new Failed(spec.name(), asVolumeException(failure)));
  }

  private Behavior<Command> reply(Result result) {
    replyTo.tell(result);
    return Behaviors.stopped();
  }

  /** Stopped with an image prepared but never published (its batch gave it up or went away): remove it. */
  private Behavior<Command> onPostStop(PostStop signal) {
    VolumeBuilder.Prepared notTaken;
    synchronized (handover) {
      stopped = true;
      notTaken = landed;
      landed = null;
    }
    // An image still preparing is discarded on its blocking thread when it lands (see startPreparing).
    VolumeBuilder.Prepared image = prepared != null ? prepared : notTaken;
    if (image != null) {
      try {
        blocking.execute(() -> builder.discard(image));
      } catch (RejectedExecutionException shuttingDown) {
        // The shutdown's own roll-back removes temporary images.
      }
    }
    return this;
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

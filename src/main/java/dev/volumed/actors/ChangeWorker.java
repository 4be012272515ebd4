package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.disk.VolumeChanges;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Changes one published volume in place, resize or reclaim: the ledger admits the change and
 * marks the volume as being changed, the disk work runs on the blocking dispatcher, and the ledger
 * is told how it ended (the books move to the new size, or back). If this worker dies on the way,
 * the ledger (which watches it) ends the change and gives a growth back.
 */
public final class ChangeWorker extends AbstractBehavior<ChangeWorker.Command> {

  public interface Command {}

  private record Approved(Ledger.ChangeReply reply) implements Command {}

  private record Done(InPlaceOutput result) implements Command {}

  private enum Kind { RESIZE, RECLAIM }

  /** With progress, {@link Progress} messages go to replyTo before the result. */
  public static Behavior<Command> resize(String name, long size, boolean progress, ActorRef<Ledger.Command> ledger,
      VolumeChanges changes, ActorRef<InPlaceOutput> replyTo) {
    return Behaviors.setup(context -> new ChangeWorker(context, Kind.RESIZE, name, size, progress, ledger, changes,
        replyTo));
  }

  public static Behavior<Command> reclaim(String name, ActorRef<Ledger.Command> ledger, VolumeChanges changes,
      ActorRef<InPlaceOutput> replyTo) {
    return Behaviors.setup(context -> new ChangeWorker(context, Kind.RECLAIM, name, 0, false, ledger, changes,
        replyTo));
  }

  private final Kind kind;
  private final String name;
  private final long size;
  private final boolean progress;
  private final ActorRef<Ledger.Command> ledger;
  private final VolumeChanges changes;
  private final ActorRef<InPlaceOutput> replyTo;
  private final Executor blocking;

  private ChangeWorker(ActorContext<Command> context, Kind kind, String name, long size, boolean progress,
      ActorRef<Ledger.Command> ledger, VolumeChanges changes, ActorRef<InPlaceOutput> replyTo) {
    super(context);
    this.kind = kind;
    this.name = name;
    this.size = size;
    this.progress = progress;
    this.ledger = ledger;
    this.changes = changes;
    this.replyTo = replyTo;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    ActorRef<Ledger.ChangeReply> approved = context.messageAdapter(Ledger.ChangeReply.class, Approved::new);
    ledger.tell(kind == Kind.RESIZE ? new Ledger.BeginResize(name, size, approved) : new Ledger.BeginReclaim(name, approved));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Approved.class, this::onApproved)
        .onMessage(Done.class, this::onDone)
        .build();
  }

  private Behavior<Command> onApproved(Approved approved) {
    if (approved.reply() instanceof Ledger.Refused refused) {
      replyTo.tell(new InPlaceOutput.Failed(new VolumeException(refused.code(), refused.message())));
      return Behaviors.stopped();
    }
    if (approved.reply() instanceof Ledger.Unchanged unchanged) {
      replyTo.tell(new InPlaceOutput.Changed(unchanged.volume()));
      return Behaviors.stopped();
    }
    Volume volume = ((Ledger.Found) approved.reply()).volume();
    // A tell is safe from the blocking thread; the reports touch no state of this actor.
    VolumeChanges.Progress reports = progress
        ? (step, done, total) -> replyTo.tell(new InPlaceOutput.Progress(name, step, done, total))
        : VolumeChanges.Progress.NONE;
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        return kind == Kind.RESIZE
            ? new InPlaceOutput.Changed(changes.resize(volume, size, reports))
            : reclaimed(changes.reclaim(volume));
      } catch (VolumeException e) {
        throw new CompletionException(e);
      }
    }, blocking), (result, failure) -> new Done(failure == null ? result
        : new InPlaceOutput.Failed(CreateWorker.asVolumeException(failure))));
    return this;
  }

  private static InPlaceOutput reclaimed(VolumeChanges.Reclaimed reclaimed) {
    return new InPlaceOutput.Reclaimed(reclaimed.volume(), reclaimed.reclaimedBytes());
  }

  private Behavior<Command> onDone(Done done) {
    InPlaceOutput result = done.result();
    if (kind == Kind.RESIZE) {
      ledger.tell(new Ledger.ResizeFinished(name, size,
          result instanceof InPlaceOutput.Changed resized ? Optional.of(resized.volume()) : Optional.empty()));
    } else {
      InPlaceOutput.Reclaimed reclaimed = result instanceof InPlaceOutput.Reclaimed r ? r : null;
      ledger.tell(new Ledger.ReclaimFinished(name, Optional.ofNullable(reclaimed).map(InPlaceOutput.Reclaimed::volume),
          reclaimed == null ? 0 : reclaimed.reclaimedBytes()));
    }
    replyTo.tell(result);
    return Behaviors.stopped();
  }
}

package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import dev.volumed.disk.Preallocator;
import dev.volumed.model.Allocation;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Preallocates one volume: the ledger admits it (and marks it busy), the blocks are taken on the
 * blocking dispatcher (reporting progress as it goes), and the ledger hears how it ended. If this
 * worker stops first (shutdown), the blocking work is told to stop: it gives the blocks back and
 * leaves the volume as it was.
 */
public final class PreallocateWorker extends AbstractBehavior<PreallocateWorker.Command> {

  public interface Command {}

  private record Answered(Ledger.ChangeReply reply) implements Command {}

  private record Ran(Volume volume, Throwable failure) implements Command {}

  public static Behavior<Command> create(String name, Allocation mode, ActorRef<Ledger.Command> ledger,
      Preallocator preallocator, ActorRef<InPlaceOutput> output) {
    return Behaviors.setup(context -> new PreallocateWorker(context, name, mode, ledger, preallocator, output));
  }

  private final String name;
  private final Allocation mode;
  private final ActorRef<Ledger.Command> ledger;
  private final Preallocator preallocator;
  private final ActorRef<InPlaceOutput> output;
  private final Executor blocking;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private PreallocateWorker(ActorContext<Command> context, String name, Allocation mode,
      ActorRef<Ledger.Command> ledger, Preallocator preallocator, ActorRef<InPlaceOutput> output) {
    super(context);
    this.name = name;
    this.mode = mode;
    this.ledger = ledger;
    this.preallocator = preallocator;
    this.output = output;
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Ledger.BLOCKING_DISPATCHER));
    ledger.tell(new Ledger.BeginPreallocate(name, mode,
        context.messageAdapter(Ledger.ChangeReply.class, Answered::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Answered.class, this::onAnswered)
        .onMessage(Ran.class, this::onRan)
        .onSignal(PostStop.class, signal -> {
          stopped.set(true);
          return this;
        })
        .build();
  }

  private Behavior<Command> onAnswered(Answered answered) {
    if (answered.reply() instanceof Ledger.Refused refused) {
      output.tell(new InPlaceOutput.Failed(new VolumeException(refused.code(), refused.message())));
      return Behaviors.stopped();
    }
    if (answered.reply() instanceof Ledger.Unchanged unchanged) {
      output.tell(new InPlaceOutput.Changed(unchanged.volume()));
      return Behaviors.stopped();
    }
    Volume volume = ((Ledger.Found) answered.reply()).volume();
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        return preallocator.preallocate(volume, mode,
            (done, total) -> output.tell(new InPlaceOutput.Progress(name, null, done, total)), stopped::get);
      } catch (VolumeException e) {
        throw new CompletionException(e);
      }
    }, blocking), Ran::new);
    return this;
  }

  private Behavior<Command> onRan(Ran ran) {
    if (ran.failure() == null) {
      ledger.tell(new Ledger.PreallocateFinished(ran.volume()));
      output.tell(new InPlaceOutput.Changed(ran.volume()));
    } else {
      ledger.tell(new Ledger.PreallocateFailed(name));
      output.tell(new InPlaceOutput.Failed(CreateWorker.asVolumeException(ran.failure())));
    }
    return Behaviors.stopped();
  }
}

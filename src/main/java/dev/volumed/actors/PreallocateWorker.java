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

  /** What the requester hears: progress (always sent; the front end forwards it when asked), then one end. */
  public sealed interface Output {}

  public record Progress(String name, long doneBytes, long totalBytes) implements Output {}

  /** Preallocated, or already so ({@code changed} false). */
  public record Done(Volume volume, boolean changed) implements Output {}

  public record Failed(VolumeException error) implements Output {}

  private record Answered(Ledger.ChangeReply reply) implements Command {}

  private record Ran(Volume volume, Throwable failure) implements Command {}

  public static Behavior<Command> create(String name, Allocation mode, ActorRef<Ledger.Command> ledger,
      Preallocator preallocator, ActorRef<Output> output) {
    return Behaviors.setup(context -> new PreallocateWorker(context, name, mode, ledger, preallocator, output));
  }

  private final String name;
  private final Allocation mode;
  private final ActorRef<Ledger.Command> ledger;
  private final Preallocator preallocator;
  private final ActorRef<Output> output;
  private final Executor blocking;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private PreallocateWorker(ActorContext<Command> context, String name, Allocation mode,
      ActorRef<Ledger.Command> ledger, Preallocator preallocator, ActorRef<Output> output) {
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
      output.tell(new Failed(new VolumeException(refused.code(), refused.message())));
      return Behaviors.stopped();
    }
    if (answered.reply() instanceof Ledger.Unchanged unchanged) {
      output.tell(new Done(unchanged.volume(), false));
      return Behaviors.stopped();
    }
    Volume volume = ((Ledger.Found) answered.reply()).volume();
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        return preallocator.preallocate(volume, mode,
            (done, total) -> output.tell(new Progress(name, done, total)), stopped::get);
      } catch (VolumeException e) {
        throw new CompletionException(e);
      }
    }, blocking), Ran::new);
    return this;
  }

  private Behavior<Command> onRan(Ran ran) {
    if (ran.failure() == null) {
      ledger.tell(new Ledger.PreallocateFinished(ran.volume()));
      output.tell(new Done(ran.volume(), true));
    } else {
      ledger.tell(new Ledger.PreallocateFailed(name));
      output.tell(new Failed(CreateWorker.asVolumeException(ran.failure())));
    }
    return Behaviors.stopped();
  }
}

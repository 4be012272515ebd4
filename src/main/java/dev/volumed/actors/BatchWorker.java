package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import dev.volumed.disk.VolumeBuilder;
import dev.volumed.model.VolumeException;
import dev.volumed.model.VolumeSpec;
import java.time.Duration;
import java.util.List;

/**
 * Makes a batch of volumes. The ledger admits it in one message (all or nothing when atomic);
 * then one {@link CreateWorker} per volume runs, with at most {@code parallelism} of them
 * allocating and formatting at once (a batch of 10,000 never runs 10,000 mkfs); a worker leaves
 * that bound as soon as its image is formatted, and flushes and publishes it outside the bound.
 * Each finished volume is reported as {@link Progress}; the batch ends with one {@link Finished}.
 *
 * <p>What follows the ledger's answer is {@link AtomicBatch} (a two-phase commit: all volumes
 * kept or none) or {@link PartialBatch} (each volume on its own), over the per-volume part they
 * share, {@link BatchRun}. Every wait on a worker is bounded by {@code workerTimeout}: a worker
 * that does not answer in time is stopped and its volume failed, so a batch always ends, answers
 * and gives back every reservation it does not complete. The batch runs to its end even when its
 * client has gone.
 */
public final class BatchWorker {

  public interface Command {}

  /** What the client is sent: zero or more {@link Progress}, then one {@link Finished}. */
  public sealed interface Output {}

  /**
   * One volume is done: {@code outcome} is "created", "existed" or "failed". In an atomic batch
   * "created" means built; the batch's end says whether it was kept.
   */
  public record Progress(String name, String outcome, VolumeException error, int done, int total)
      implements Output {}

  /**
   * The batch's end. With {@code error} set (an atomic batch refused or rolled back) the reply is
   * a failure; otherwise it lists what was created and what failed.
   */
  public record Finished(
      List<CreateWorker.Created> created, List<CreateWorker.Failed> failed, VolumeException error, Stats stats)
      implements Output {
    public Finished {
      created = List.copyOf(created);
      failed = List.copyOf(failed);
    }
  }

  /** How the batch ran: its bound, and the most volumes it had allocating or formatting at once. */
  public record Stats(int volumes, int parallelism, int maxConcurrentWorkers, long millis) {}

  private record Reserved(Ledger.BatchReply reply) implements Command {}

  private BatchWorker() {}

  public static Behavior<Command> create(List<VolumeSpec> specs, boolean atomic, boolean progress,
      int parallelism, Duration workerTimeout, ActorRef<Ledger.Command> ledger, VolumeBuilder builder,
      ActorRef<Output> output) {
    List<VolumeSpec> batch = List.copyOf(specs);
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      BatchRun run = new BatchRun(context, timers, batch, atomic, progress, parallelism, workerTimeout,
          ledger, builder, output);
      ledger.tell(new Ledger.ReserveBatch(batch, atomic, context.messageAdapter(Ledger.BatchReply.class, Reserved::new)));
      return Behaviors.receive(Command.class)
          .onMessage(Reserved.class, reserved -> onReserved(run, atomic, reserved.reply()))
          .build();
    }));
  }

  private static Behavior<Command> onReserved(BatchRun run, boolean atomic, Ledger.BatchReply reply) {
    if (reply instanceof Ledger.Refused refused) {
      // Refused as a whole before any file was made.
      return run.finish(new VolumeException(refused.code(), refused.message()));
    }
    run.admitted(((Ledger.BatchReserved) reply).outcomes());
    if (run.nothingToMake()) {
      return run.finish(null);
    }
    return atomic ? AtomicBatch.start(run) : PartialBatch.start(run);
  }
}

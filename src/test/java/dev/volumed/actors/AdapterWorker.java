package dev.volumed.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import dev.volumed.model.VolumeSpec;

/**
 * A stand-in for {@link CreateWorker}: it reserves through a message adapter, as the real worker
 * does, passes the ledger's answer on, and fails on command without completing or releasing.
 */
final class AdapterWorker {

  interface Command {}

  /** Throw, as a worker whose build blew up would, without telling the ledger. */
  enum Fail implements Command { INSTANCE }

  private record Answered(Ledger.ReserveReply reply) implements Command {}

  private AdapterWorker() {}

  static Behavior<Command> create(ActorRef<Ledger.Command> ledger, VolumeSpec spec, ActorRef<Ledger.ReserveReply> seen) {
    return Behaviors.setup(context -> {
      ledger.tell(new Ledger.Reserve(spec, context.messageAdapter(Ledger.ReserveReply.class, Answered::new)));
      return Behaviors.receive(Command.class)
          .onMessage(Answered.class, answered -> {
            seen.tell(answered.reply());
            return Behaviors.same();
          })
          .onMessageEquals(Fail.INSTANCE, () -> {
            throw new IllegalStateException("worker failed half-way (expected by the test)");
          })
          .build();
    });
  }
}

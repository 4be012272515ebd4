package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.model.Allocation;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code preallocate NAME [--full]}: one request with progress on stderr, then the volume as get shows it. */
@Command(name = "preallocate", description = "give a sparse volume its blocks now, without changing a byte of it",
    footer = """

        By default every block of the image is allocated (fallocate), allowed while a VM
        uses it. With --full, every block not written yet is also written with zeros, so
        the guest's first writes cost no allocation; refused (BUSY) while anything holds
        the image open. Admitted like a fallocate create: the volume's size is committed
        and the blocks it lacks must be free. If it fails, the volume keeps its old
        allocation and content. Progress goes to stderr: a live bar on a terminal, else
        a line at each tenth.

        Exit codes: 0 done (or already so); 1 refused by volumed; 2 usage error;
        3 cannot reach volumed.""")
final class PreallocateCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Mixin OneRequest.NameOperand name;
  @Mixin PoolOption pool;

  @Option(names = "--full", arity = "0", description = "also write zeros where nothing was written yet")
  boolean full;

  @Override
  public Integer call() {
    Request request = new Request.Preallocate(pool.pool, name.name, full ? Allocation.FULL : Allocation.FALLOCATE,
        true);
    ByteProgress view = new ByteProgress(cli.err, cli.terminal, BatchCommand.columns(cli.env), System::nanoTime);
    Reply reply;
    try {
      reply = new Client(cli.socketPath()).call(Codec.request(Requests.freshId(), request), view::event);
    } catch (ClientException e) {
      view.finish();
      cli.err.println("volumectl: " + e.getMessage());
      return VolumeCtl.UNREACHABLE;
    } finally {
      view.finish();
    }
    if (reply instanceof Reply.Failure failure) {
      if (cli.json()) {
        cli.printJson(failure.error());
      } else {
        cli.err.print(Render.error(failure));
      }
      return VolumeCtl.REFUSED;
    }
    JsonNode result = ((Reply.Success) reply).result();
    if (cli.json()) {
      cli.printJson(result);
    } else {
      cli.out.print(Render.volume(result));
    }
    return VolumeCtl.OK;
  }
}

package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.model.Sizes;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import dev.volumed.protocol.VolumeArgs;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A command that is one request and one reply: ping, pools, create, get, list, delete, resize and reclaim. The
 * reply is printed as a table or a line, or with --json as volumed's JSON; an error goes to
 * stderr as code and message (to stdout with --json) with exit code 1.
 */
abstract class OneRequest implements Callable<Integer> {
  @ParentCommand Cli cli;

  /** What the command asks volumed. */
  abstract Request request();

  /** The request line, with {@code id}. */
  final ObjectNode request(String id) {
    return Codec.request(id, request());
  }

  /** The result as a person reads it, ending in a newline. */
  abstract String human(JsonNode result);

  /** How the request's progress events are shown on stderr; none for a command without events. */
  Progress.View progress() {
    return new Progress.View() {
      @Override
      public void event(JsonNode event) {}

      @Override
      public void finish() {}
    };
  }

  @Override
  public final Integer call() {
    Reply reply;
    Progress.View view = progress();
    try {
      reply = new Client(cli.socketPath()).call(request(Requests.freshId()), view::event);
    } catch (ClientException e) {
      view.finish();
      cli.err.println("volumectl: " + e.getMessage());
      return VolumeCtl.UNREACHABLE;
    }
    view.finish();
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
      cli.out.print(human(result));
    }
    return VolumeCtl.OK;
  }

  /** NAME of create, get and delete: a volume's path inside its pool; not empty. */
  static final class NameOperand {
    @Spec(Spec.Target.MIXEE) CommandSpec command;
    String name;

    @Parameters(paramLabel = "NAME", description = "the volume's path inside its pool, e.g. vm1/var.img")
    void name(String name) {
      if (name != null && name.isEmpty()) {
        throw new ParameterException(command.commandLine(), command.name() + " needs a NAME");
      }
      this.name = name;
    }
  }

  @Command(name = "ping", description = "check that volumed answers, and show its version")
  static final class Ping extends OneRequest {
    @Override
    Request request() {
      return new Request.Ping();
    }

    @Override
    String human(JsonNode result) {
      return Render.ping(result);
    }
  }

  @Command(name = "pools", description = "show the pools and their space accounting")
  static final class Pools extends OneRequest {
    @Override
    Request request() {
      return new Request.Pools();
    }

    @Override
    String human(JsonNode result) {
      return Render.pools(result, Colours.levels(cli.terminal, cli.json(), cli.env));
    }
  }

  @Command(name = "create", description = "create a volume: a disk image at <pool path>/NAME, formatted with FS")
  static final class Create extends OneRequest {
    @Mixin NameOperand name;

    @Option(names = "--size", paramLabel = "SIZE", required = true,
        description = "bytes, or with a unit: 512M, 10G, 1T (K, M, G, T or KiB to TiB: powers of 1024)")
    String size;

    @Mixin PoolOption pool;

    @Option(names = "--fs", paramLabel = "FS", completionCandidates = Values.FileSystems.class,
        description = "one of ${COMPLETION-CANDIDATES} (default: the pool's)")
    Optional<String> fs = Optional.empty();

    @Option(names = "--label", paramLabel = "L", description = "file-system label")
    Optional<String> label = Optional.empty();

    @Spec CommandSpec spec;
    Optional<String> allocation = Optional.empty();

    @Option(names = "--allocation", paramLabel = "A", completionCandidates = Values.Allocations.class,
        description = "one of ${COMPLETION-CANDIDATES} (default: the pool's)")
    void allocation(String value) {
      if (!Values.ALLOCATIONS.contains(value)) {
        throw new ParameterException(spec.commandLine(),
            "--allocation must be one of " + String.join(", ", Values.ALLOCATIONS) + ", not '" + value + "'");
      }
      allocation = Optional.of(value);
    }

    @Option(names = "--mkfs-arg", paramLabel = "ARG", parameterConsumer = Values.AnyValue.class,
        description = "one extra argument for mkfs; repeat for more")
    List<String> mkfsArgs = new ArrayList<>();

    /** Sends only what was given, so volumed applies the pool's defaults; and always the pool. */
    @Override
    Request request() {
      return new Request.Create(pool.pool, VolumeArgs.given(name.name, size, fs, label, allocation, mkfsArgs));
    }

    @Override
    String human(JsonNode result) {
      return Render.volume(result);
    }
  }

  @Command(name = "get", description = "show one volume")
  static final class Get extends OneRequest {
    @Mixin NameOperand name;
    @Mixin PoolOption pool;

    @Override
    Request request() {
      return new Request.Get(pool.pool, name.name);
    }

    @Override
    String human(JsonNode result) {
      return Render.volume(result);
    }
  }

  @Command(name = "list", description = "list the volumes of one pool, or of all pools")
  static final class ListVolumes extends OneRequest {
    @Option(names = "--pool", paramLabel = "P", description = "the pool (default: every pool)")
    Optional<String> pool = Optional.empty();

    @Override
    Request request() {
      return new Request.ListVolumes(pool);
    }

    @Override
    String human(JsonNode result) {
      return Render.volumes(result);
    }
  }

  @Command(name = "delete", description = "delete a volume and its image")
  static final class Delete extends OneRequest {
    @Mixin NameOperand name;
    @Mixin PoolOption pool;

    @Override
    Request request() {
      return new Request.Delete(pool.pool, name.name);
    }

    @Override
    String human(JsonNode result) {
      return Render.deleted(result, name.name);
    }
  }

  @Command(name = "resize", description = "grow a volume and its file system to SIZE (never shrinks)")
  static final class Resize extends OneRequest {
    @Mixin NameOperand name;
    @Mixin PoolOption pool;
    @Spec CommandSpec spec;
    long size;

    @Option(names = "--size", paramLabel = "SIZE", required = true,
        description = "the new size: bytes, or with a unit: 512M, 10G, 1T (powers of 1024)")
    void size(String text) {
      try {
        size = Sizes.parse(text);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--size: " + e.getMessage());
      }
    }

    /** Always with progress: the bar (or a line per step) goes to stderr, the volume to stdout. */
    @Override
    Request request() {
      return new Request.Resize(pool.pool, name.name, size, true);
    }

    @Override
    Progress.View progress() {
      return cli.json() ? super.progress() : new ByteProgress(cli.err, cli.terminal, BatchCommand.columns(cli.env),
          System::nanoTime);
    }

    @Override
    String human(JsonNode result) {
      return Render.volume(result);
    }
  }

  @Command(name = "reclaim", description = "give back the blocks of a sparse volume that hold no data")
  static final class Reclaim extends OneRequest {
    @Mixin NameOperand name;
    @Mixin PoolOption pool;

    @Override
    Request request() {
      return new Request.Reclaim(pool.pool, name.name);
    }

    @Override
    String human(JsonNode result) {
      return Render.reclaimed(result);
    }
  }
}

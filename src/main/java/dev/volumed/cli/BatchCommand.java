package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
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
 * {@code batch FILE} and {@code import-microvm FILE}: read the file, turn it into the volumes of
 * one batch request, send it with progress, show the progress on stderr, and print a table of
 * what became of each volume.
 */
abstract class BatchCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Spec CommandSpec spec;
  @Mixin PoolOption pool;
  String file;

  @Option(names = "--no-atomic", arity = "0",
      description = "make what can be made; by default the batch is all or nothing")
  boolean noAtomic;

  @Parameters(paramLabel = "FILE", description = "a JSON file, or - for stdin")
  void file(String file) {
    if (file != null && file.isEmpty()) {
      throw new ParameterException(spec.commandLine(), spec.name() + " needs a FILE");
    }
    this.file = file;
  }

  /** The volumes of the batch, from what FILE holds. */
  abstract ArrayNode volumes(JsonNode input, PrintStream err) throws InputException;

  /** --dry-run: print the request instead of sending it. */
  boolean dryRun() {
    return false;
  }

  @Override
  public final Integer call() {
    Path socket = cli.socketPath();
    ArrayNode volumes;
    try {
      volumes = volumes(InputFiles.read(file, cli.in), cli.err);
    } catch (InputException e) {
      cli.err.print("volumectl: " + e.getMessage() + "\nTry 'volumectl " + spec.name() + " --help'.\n");
      return VolumeCtl.USAGE;
    }
    if (volumes.isEmpty()) {
      cli.err.println("volumectl: nothing to create: no volume of " + file + " has autoCreate = true");
      return VolumeCtl.OK;
    }
    if (dryRun()) {
      cli.out.println(Json.pretty(Requests.batch(null, pool.pool, volumes, !noAtomic)));
      return VolumeCtl.OK;
    }
    return send(socket, Requests.batch(Requests.freshId(), pool.pool, volumes, !noAtomic), volumes);
  }

  private int send(Path socket, ObjectNode request, ArrayNode volumes) {
    PrintStream out = cli.out;
    PrintStream err = cli.err;
    Progress.View view = cli.terminal ? new Progress.Live(err, columns(cli.env), System::nanoTime) : new Progress.Plain(err);
    long started = System.nanoTime();
    Reply reply;
    try {
      reply = new Client(socket).call(request, view::event);
    } catch (ClientException e) {
      view.finish();
      err.println("volumectl: " + e.getMessage());
      if (e.getMessage().startsWith("lost the connection") || e.getMessage().contains("closed the connection")) {
        err.println("volumed may still be making the batch; see what it made with 'volumectl list'.");
      }
      return VolumeCtl.UNREACHABLE;
    }
    view.finish();
    long wall = System.nanoTime() - started;

    if (reply instanceof Reply.Failure failure) {
      if (cli.json()) {
        cli.printJson(failure.error());
        return VolumeCtl.REFUSED;
      }
      err.print(BatchReport.error(failure, volumes));
      JsonNode outcomes = failure.error().path("details").path("outcomes");
      if (outcomes.isArray()) {
        out.print(BatchReport.outcomes(volumes, outcomes, wall));
      }
      return VolumeCtl.REFUSED;
    }
    JsonNode result = ((Reply.Success) reply).result();
    if (cli.json()) {
      cli.printJson(result);
    } else {
      out.print(BatchReport.summary(volumes, result, wall));
    }
    return result.path("failed").isEmpty() ? VolumeCtl.OK : VolumeCtl.REFUSED;
  }

  /** Columns of the live progress bar: $COLUMNS, else {@value VolumeCtl#DEFAULT_COLUMNS}. */
  static int columns(Map<String, String> env) {
    try {
      int columns = Integer.parseInt(env.getOrDefault("COLUMNS", "").trim());
      return columns > 0 ? columns : VolumeCtl.DEFAULT_COLUMNS;
    } catch (NumberFormatException e) {
      return VolumeCtl.DEFAULT_COLUMNS;
    }
  }

  @Command(name = "batch", description = "create the volumes a JSON file lists, all or nothing, with progress",
      footer = """

          FILE is a JSON array of volumes, each with the arguments of create but no pool,
          or - to read it from stdin:
            [{"name": "vm1/var.img", "size": "8G", "fs": "ext4", "label": "var"},
             {"name": "vm1/swap.img", "size": "1G", "fs": "swap",
              "allocation": "fallocate"}]
          Fields: name, size, fs, label, mkfsArgs (array of strings), allocation.

          By default the batch is atomic: volumed admits it whole or refuses it whole,
          and if one volume fails, every volume it made is removed again. With
          --no-atomic each volume is admitted on its own, in list order, and what
          could be made stays.
          Volumes that already exist with the same size, fs, label and allocation
          count as existed, so running the same batch again is safe.

          Progress goes to stderr: a live bar on a terminal, else one line per volume
          ([12/200] vm3/root.img created). Then a table of every volume and a total go to
          stdout; with --json, volumed's reply instead.

          Exit codes: 0 every volume created or existed; 1 volumed refused the batch
          or a volume failed (an atomic batch is then rolled back: nothing stays);
          2 usage error, or FILE missing or not a JSON array; 3 cannot reach volumed.""")
  static final class Batch extends BatchCommand {
    /** batch's FILE: a non-empty array of objects; volumed checks each one's arguments. */
    @Override
    ArrayNode volumes(JsonNode input, PrintStream err) throws InputException {
      if (!input.isArray()) {
        throw new InputException("expected a JSON array of volumes ([{\"name\": ..., \"size\": ...}, ...]), got "
            + MicroVmVolumes.kind(input));
      }
      if (input.isEmpty()) {
        throw new InputException("the list of volumes is empty; a batch needs at least one");
      }
      for (int i = 0; i < input.size(); i++) {
        if (!input.get(i).isObject()) {
          throw new InputException("volumes[" + i + "] is " + MicroVmVolumes.kind(input.get(i))
              + ", not an object with name, size, fs, ...");
        }
      }
      return (ArrayNode) input;
    }
  }

  @Command(name = "import-microvm",
      description = "create the autoCreate volumes of a microvm.nix guest, from nix eval --json",
      footer = """

          FILE is the JSON that nix prints for a microvm.nix guest's volumes
          (- for stdin):
            nix eval --json .#nixosConfigurations.HOST.config.microvm.volumes > v.json
          Only the volumes with autoCreate = true are made, as one batch (atomic unless
          --no-atomic), with the progress, table and exit codes of 'volumectl batch'.

          microvm.nix          volumed
            image              name: PREFIX + the image's file name. volumed names
                               are relative to the pool, so the directory part is
                               dropped: /var/lib/microvms/vm1/var.img with
                               --prefix vm1/ is vm1/var.img
            size (MiB)         size "<size>M"
            fsType             fs (default ext4, as in microvm.nix); one volumed
                               does not know is sent as is, and volumed refuses
                               the batch naming it
            label              label (null: none)
            mkfsExtraArgs      mkfsArgs
            autoCreate         false: skipped, and said so on stderr
            (always)           allocation "sparse", what microvm.nix's truncate does
          Ignored: mountPoint, serial, direct, readOnly, imageType (the image is
          always raw).

          Run it again after a change: volumes that are there already count as
          existed; one whose size, fs or label changed is refused with
          ALREADY_EXISTS (volumed never reformats).""")
  static final class ImportMicroVm extends BatchCommand {
    @Option(names = "--prefix", paramLabel = "PREFIX", defaultValue = "",
        description = "put before each image's file name, as is: vm1/ makes vm1/var.img")
    String prefix;

    @Option(names = "--dry-run", arity = "0", description = "print the batch request it would send, and send nothing")
    boolean dryRun;

    @Override
    boolean dryRun() {
      return dryRun;
    }

    @Override
    ArrayNode volumes(JsonNode input, PrintStream err) throws InputException {
      MicroVmVolumes.Plan plan = MicroVmVolumes.plan(input, prefix);
      for (String image : plan.skipped()) {
        err.println("volumectl: skipping " + image + ": autoCreate is false");
      }
      return plan.volumes();
    }
  }
}

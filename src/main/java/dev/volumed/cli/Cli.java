package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code volumectl}, the top command: the values of the global options ({@link GlobalOptions}),
 * which every command accepts before or after its name, and what a run may use (streams,
 * environment, whether stderr is a terminal).
 */
@Command(
    name = "volumectl",
    description = "Talks to volumed, the disk-image daemon, over its Unix domain socket.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {
      OneRequest.Ping.class,
      OneRequest.Pools.class,
      OneRequest.Create.class,
      BatchCommand.Batch.class,
      BatchCommand.ImportMicroVm.class,
      OneRequest.Get.class,
      OneRequest.ListVolumes.class,
      OneRequest.Delete.class,
      PreallocateCommand.class,
      OneRequest.Resize.class,
      OneRequest.Reclaim.class,
      WatchCommand.class,
      CompletionCommand.class
    },
    commandListHeading = "%nCommands:%n",
    footer = {
      "",
      "'volumectl COMMAND --help' shows one command.",
      "Exit codes: 0 done, 1 refused by volumed (or a volume of a batch failed),",
      "            2 usage error, 3 cannot reach volumed."
    })
final class Cli implements Callable<Integer> {
  final InputStream in;
  final PrintStream out;
  final PrintStream err;
  final Map<String, String> env;
  /** stderr is a terminal: batches show a live progress bar. */
  final boolean terminal;

  @Spec CommandSpec spec;

  private Optional<String> socket = Optional.empty();
  private boolean json;

  Cli(InputStream in, PrintStream out, PrintStream err, Map<String, String> env, boolean terminal) {
    this.in = in;
    this.out = out;
    this.err = err;
    this.env = env;
    this.terminal = terminal;
  }

  /** --socket PATH: once only, before or after the command, and never empty. */
  void socket(String path, CommandLine where) {
    if (socket.isPresent()) {
      throw new ParameterException(where, "--socket given twice");
    }
    if (path.isEmpty()) {
      throw new ParameterException(where, "--socket needs a non-empty PATH");
    }
    socket = Optional.of(path);
  }

  Optional<String> socket() {
    return socket;
  }

  /** --json, before or after the command or both. */
  void jsonGiven() {
    json = true;
  }

  boolean json() {
    return json;
  }

  /** Only a command runs something: {@code volumectl} alone is a usage error. */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "no command given");
  }

  /** The socket to call: see {@link VolumeCtl#socketPath}; a path Java cannot use is a usage error. */
  Path socketPath() {
    try {
      return VolumeCtl.socketPath(socket, env);
    } catch (InvalidPathException e) {
      throw new ParameterException(spec.commandLine(), "not a usable socket path: " + e.getMessage(), e);
    }
  }

  /** Prints {@code node} for --json: indented, as volumed's result or error object. */
  void printJson(JsonNode node) {
    out.println(Json.pretty(node));
  }
}

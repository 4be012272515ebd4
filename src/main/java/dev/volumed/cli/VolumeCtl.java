package dev.volumed.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;

/**
 * {@code volumectl [--socket PATH] [--json] COMMAND [ARGS]}: the command-line client of volumed.
 * The commands and their options are picocli command classes: {@link Cli} (the global options)
 * and its subcommands ({@link OneRequest}'s, {@link BatchCommand}'s, {@link CompletionCommand}).
 *
 * <p>Exit codes: 0 done; 1 refused by volumed, or a volume of a batch failed; 2 usage error (or a
 * batch FILE that cannot be read); 3 cannot reach volumed (no socket, nobody listening, or the
 * connection broke before the reply). {@code --help} prints to stdout and exits 0.
 */
public final class VolumeCtl {
  static final int OK = 0;
  static final int REFUSED = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;

  /** The daemon's packaged default, relative to the working directory. */
  static final String DEFAULT_SOCKET = "var/run/volumed.sock";

  static final String SOCKET_ENV = "VOLUMED_SOCKET";

  /** Columns of the live progress bar when $COLUMNS does not say. */
  static final int DEFAULT_COLUMNS = 80;

  private VolumeCtl() {}

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err, System.getenv(), System.console() != null));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, out, err, System.getenv());
  }

  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    return run(args, System.in, out, err, env, false);
  }

  /**
   * One run of volumectl. {@code terminal}: stderr is a terminal (a live progress bar for
   * batches), as {@code System.console() != null} says for the real process.
   */
  static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env,
      boolean terminal) {
    CommandLine line = commandLine(new Cli(in, out, err, env, terminal));
    PrintWriter help = new PrintWriter(out, true);
    line.setOut(help);
    line.setErr(new PrintWriter(err, true));
    try {
      return line.execute(args);
    } finally {
      help.flush();
    }
  }

  /**
   * The parser of {@code cli}'s command line. A value that looks like an option is refused as a
   * forgotten value ({@code --size --pool p}, {@code --label --bogus}), except for --mkfs-arg;
   * negative numbers are values. An argument {@code @FILE} is that word, not FILE's lines (a
   * batch FILE may be called so). An exception that is no usage error is not volumed's refusal:
   * it leaves run() as it is rather than become exit code 1.
   */
  static CommandLine commandLine(Cli cli) {
    CommandLine line = new CommandLine(cli)
        .setUnmatchedOptionsAllowedAsOptionParameters(false)
        .setExpandAtFiles(false)
        .setParameterExceptionHandler(new UsageErrors(cli.err))
        .setExecutionExceptionHandler((e, failed, parsed) -> {
          throw e;
        });
    GlobalOptions.addTo(line, cli);
    inDeclarationOrder(line);
    return line;
  }

  /** Help lists options as the command declares them, the global ones last. */
  private static void inDeclarationOrder(CommandLine line) {
    line.getCommandSpec().usageMessage().sortOptions(false).sortSynopsis(false);
    line.getSubcommands().values().forEach(VolumeCtl::inDeclarationOrder);
  }

  /** {@code --socket}, else {@code $VOLUMED_SOCKET} when set and not empty, else the default. */
  static Path socketPath(Optional<String> option, Map<String, String> env) {
    String fromEnv = env.get(SOCKET_ENV);
    return Path.of(option.orElse(fromEnv == null || fromEnv.isEmpty() ? DEFAULT_SOCKET : fromEnv));
  }
}

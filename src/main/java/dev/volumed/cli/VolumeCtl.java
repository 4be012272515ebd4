package dev.volumed.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * {@code volumectl [--socket PATH] [--json] COMMAND [ARGS]}: the command-line client of volumed.
 *
 * <p>Exit codes: 0 done; 1 refused by volumed, or a volume of a batch failed; 2 usage error (or a
 * batch FILE that cannot be read); 3 cannot reach volumed (no socket, nobody listening, or the
 * connection broke before the reply).
 */
public final class VolumeCtl {
  static final int OK = 0;
  static final int REFUSED = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;

  /** The daemon's packaged default, relative to the working directory. */
  static final String DEFAULT_SOCKET = "var/run/volumed.sock";

  static final String SOCKET_ENV = "VOLUMED_SOCKET";

  private VolumeCtl() {}

  /** Columns of the live progress bar when $COLUMNS does not say. */
  static final int DEFAULT_COLUMNS = 80;

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
    Parsed parsed;
    try {
      parsed = ArgParser.parse(args);
    } catch (UsageException e) {
      err.print("volumectl: " + e.getMessage() + "\n" + Usage.hint(e.command()));
      return USAGE;
    }
    if (parsed instanceof Parsed.ShowHelp help) {
      out.print(help.text());
      return OK;
    }
    Invocation invocation = (Invocation) parsed;

    Path socket;
    try {
      socket = socketPath(invocation, env);
    } catch (InvalidPathException e) {
      err.print("volumectl: not a usable socket path: " + e.getMessage() + "\n" + Usage.hint(Optional.empty()));
      return USAGE;
    }

    if (invocation.command() == Command.BATCH || invocation.command() == Command.IMPORT_MICROVM) {
      int columns = columns(env);
      return BatchCommand.run(invocation, socket, in, out, err,
          () -> terminal ? new Progress.Live(err, columns, System::nanoTime) : new Progress.Plain(err));
    }

    Reply reply;
    try {
      reply = new Client(socket).call(Requests.request(invocation, Requests.freshId()));
    } catch (ClientException e) {
      err.println("volumectl: " + e.getMessage());
      return UNREACHABLE;
    }

    if (reply instanceof Reply.Failure failure) {
      if (invocation.json()) {
        out.println(pretty(failure.error()));
      } else {
        err.print(Render.error(failure));
      }
      return REFUSED;
    }
    JsonNode result = ((Reply.Success) reply).result();
    out.print(invocation.json() ? pretty(result) + "\n" : human(invocation, result));
    return OK;
  }

  /** {@code --socket}, else {@code $VOLUMED_SOCKET} when set and not empty, else the default. */
  static Path socketPath(Invocation invocation, Map<String, String> env) {
    String fromEnv = env.get(SOCKET_ENV);
    String chosen =
        invocation.socket().orElse(fromEnv == null || fromEnv.isEmpty() ? DEFAULT_SOCKET : fromEnv);
    return Path.of(chosen);
  }

  private static String human(Invocation invocation, JsonNode result) {
    return switch (invocation.command()) {
      case PING -> Render.ping(result);
      case POOLS -> Render.pools(result);
      case CREATE, GET -> Render.volume(result);
      case LIST -> Render.volumes(result);
      case DELETE -> Render.deleted(result, invocation.name().orElseThrow());
      case BATCH, IMPORT_MICROVM -> throw new IllegalStateException("batches are rendered by BatchCommand");
    };
  }

  private static int columns(Map<String, String> env) {
    try {
      int columns = Integer.parseInt(env.getOrDefault("COLUMNS", "").trim());
      return columns > 0 ? columns : DEFAULT_COLUMNS;
    } catch (NumberFormatException e) {
      return DEFAULT_COLUMNS;
    }
  }

  private static String pretty(JsonNode node) {
    try {
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree that cannot be written: " + e.getMessage(), e);
    }
  }
}

package dev.volumed.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * {@code batch FILE} and {@code import-microvm FILE}: read the file, turn it into the volumes of
 * one batch request, send it with progress, show the progress on stderr, and print a table of
 * what became of each volume.
 */
final class BatchCommand {
  private BatchCommand() {}

  static int run(Invocation invocation, Path socket, InputStream stdin, PrintStream out, PrintStream err,
      Supplier<Progress.View> views) {
    Command command = invocation.command();
    String file = invocation.name().orElseThrow();
    ArrayNode volumes;
    try {
      JsonNode input = InputFiles.read(file, stdin);
      volumes = command == Command.IMPORT_MICROVM
          ? microVm(input, invocation.option(Option.PREFIX).orElse(""), err)
          : batchVolumes(input);
    } catch (InputException e) {
      err.print("volumectl: " + e.getMessage() + "\nTry 'volumectl " + command.word() + " --help'.\n");
      return VolumeCtl.USAGE;
    }
    if (volumes.isEmpty()) {
      err.println("volumectl: nothing to create: no volume of " + file + " has autoCreate = true");
      return VolumeCtl.OK;
    }

    String pool = invocation.option(Option.POOL).orElse(Requests.DEFAULT_POOL);
    boolean atomic = !invocation.has(Option.NO_ATOMIC);
    if (invocation.has(Option.DRY_RUN)) {
      out.println(pretty(Requests.batch(null, pool, volumes, atomic)));
      return VolumeCtl.OK;
    }

    ObjectNode request = Requests.batch(Requests.freshId(), pool, volumes, atomic);
    Progress.View view = views.get();
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
      if (invocation.json()) {
        out.println(pretty(failure.error()));
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
    out.print(invocation.json() ? pretty(result) + "\n" : BatchReport.summary(volumes, result, wall));
    return result.path("failed").isEmpty() ? VolumeCtl.OK : VolumeCtl.REFUSED;
  }

  /** batch's FILE: a non-empty array of objects; volumed checks each one's arguments. */
  static ArrayNode batchVolumes(JsonNode input) throws InputException {
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

  private static ArrayNode microVm(JsonNode input, String prefix, PrintStream err) throws InputException {
    MicroVmVolumes.Plan plan = MicroVmVolumes.plan(input, prefix);
    for (String image : plan.skipped()) {
      err.println("volumectl: skipping " + image + ": autoCreate is false");
    }
    return plan.volumes();
  }

  private static String pretty(JsonNode node) {
    try {
      return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree that cannot be written: " + e.getMessage(), e);
    }
  }
}

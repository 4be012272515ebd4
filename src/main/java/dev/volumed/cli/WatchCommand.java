package dev.volumed.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.protocol.Codec;
import dev.volumed.protocol.Request;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code volumectl watch [--pool P]}: one line per event as volumed sends them (each pool's level
 * first, then changes of level and of volumes), or with --json each event's JSON on one line. It
 * ends with exit 0 when volumed shuts down (the watch's reply), 3 when the connection is lost, and
 * on Ctrl-C as any program does (130: what the shell reports for an interrupt).
 */
@Command(name = "watch", description = "show the pools' levels and every change of a volume as it happens,"
    + " until Ctrl-C or volumed shuts down")
final class WatchCommand implements Callable<Integer> {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  @ParentCommand Cli cli;

  @Option(names = "--pool", paramLabel = "P", description = "the pool (default: every pool)")
  Optional<String> pool = Optional.empty();

  @Override
  public Integer call() {
    UnaryOperator<String> level = Colours.levels(cli.terminal, cli.json(), cli.env);
    Reply reply;
    try {
      reply = new Client(cli.socketPath()).call(Codec.request(Requests.freshId(), new Request.Watch(pool)), event -> {
        cli.out.print(cli.json() ? compact(event) + "\n" : line(event, LocalDateTime.now(), level));
        cli.out.flush();
      });
    } catch (ClientException e) {
      cli.err.println("volumectl: " + e.getMessage());
      return VolumeCtl.UNREACHABLE;
    }
    if (reply instanceof Reply.Failure failure) {
      if (cli.json()) {
        cli.out.println(compact(failure.error()));
      } else {
        cli.err.print(Render.error(failure));
      }
      return VolumeCtl.REFUSED;
    }
    if (!cli.json()) {
      cli.err.println("volumectl: volumed is shutting down; the watch ended");
    }
    return VolumeCtl.OK;
  }

  /**
   * {@code 2026-12-01 21:53:07  default  volume created  vm1/root.img  10.0 GiB sparse ext4}, or
   * {@code ...  default  level warn (was ok): file system 85 % used, ...}.
   */
  static String line(JsonNode event, LocalDateTime at, UnaryOperator<String> level) {
    StringBuilder s = new StringBuilder(TIME.format(at.truncatedTo(ChronoUnit.SECONDS))).append("  ");
    String kind = Render.text(event.path("event"));
    switch (kind) {
      case "pool" -> {
        s.append(Render.text(event.path("pool"))).append("  level ").append(level.apply(Render.text(event.path("level"))));
        JsonNode previous = event.path("previous");
        s.append(previous.isTextual() ? " (was " + previous.asText() + ")" : "");
        s.append(": ").append(Render.text(event.path("message")));
      }
      case "volume" -> {
        JsonNode volume = event.path("volume");
        s.append(Render.text(event.path("pool"))).append("  volume ").append(Render.text(event.path("action")))
            .append("  ").append(Render.text(volume.path("name")))
            .append("  ").append(Render.bytes(volume.path("size")))
            .append(' ').append(Render.text(volume.path("allocation")))
            .append(' ').append(Render.text(volume.path("fs")))
            .append(", ").append(Render.bytes(volume.path("allocatedBytes"))).append(" allocated");
      }
      case "overflow" -> s.append("-  ").append(Render.text(event.path("dropped")))
          .append(" events dropped: this watch did not read them in time (list shows the volumes as they are now)");
      default -> s.append("-  ").append(compact(event));
    }
    return s.append('\n').toString();
  }

  private static String compact(JsonNode node) {
    try {
      return Json.MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      return node.toString();
    }
  }
}

package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.model.Sizes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end of a batch for people: a table of every volume (NAME SIZE FS ALLOCATION OUTCOME) in the
 * order they were asked for, and a total line. Pure functions of what was sent and what came back.
 */
final class BatchReport {
  private static final List<String> ORDER = List.of("created", "existed", "rolled back", "not started", "failed");

  private BatchReport() {}

  /** One volume's line. */
  record Row(String name, String size, String fs, String allocation, String outcome, String kind) {}

  /** The table and total of a batch volumed accepted: {@code result} has created and failed. */
  static String summary(JsonNode volumes, JsonNode result, long wallNanos) {
    Map<String, JsonNode> created = byName(result.path("created"));
    Map<String, JsonNode> failed = byName(result.path("failed"));
    List<Row> rows = new ArrayList<>();
    for (JsonNode spec : volumes) {
      String name = spec.path("name").asText();
      JsonNode volume = created.remove(name);
      JsonNode failure = failed.remove(name);
      if (volume != null) {
        rows.add(fromVolume(volume));
      } else if (failure != null) {
        rows.add(fromSpec(spec, "failed", failure.path("error")));
      } else {
        rows.add(fromSpec(spec, "unknown", null)); // volumed said nothing of it
      }
    }
    created.values().forEach(v -> rows.add(fromVolume(v)));
    failed.values().forEach(f -> rows.add(new Row(f.path("name").asText(), "-", "-", "-",
        failedText(f.path("error")), "failed")));
    return table(rows) + total(rows, wallNanos);
  }

  /**
   * The table and total of an atomic batch that was rolled back or refused: {@code outcomes} is
   * {@code error.details.outcomes} ({@code name, outcome, error?}) when volumed gave them.
   */
  static String outcomes(JsonNode volumes, JsonNode outcomes, long wallNanos) {
    Map<String, JsonNode> byName = byName(outcomes);
    List<Row> rows = new ArrayList<>();
    for (JsonNode spec : volumes) {
      JsonNode outcome = byName.remove(spec.path("name").asText());
      String kind = outcome == null ? "not made" : outcome.path("outcome").asText("unknown");
      rows.add(fromSpec(spec, kind, outcome == null ? null : outcome.get("error")));
    }
    for (JsonNode outcome : byName.values()) {
      rows.add(new Row(outcome.path("name").asText(), "-", "-", "-", outcome.path("outcome").asText(),
          outcome.path("outcome").asText()));
    }
    return table(rows) + total(rows, wallNanos);
  }

  /**
   * {@code error CODE: message} and its details as {@link Render#error} prints them, without the
   * outcomes (the table shows them), and with the name of the volume a {@code details.index} points at.
   */
  static String error(Reply.Failure failure, JsonNode volumes) {
    ObjectNode error = failure.error().deepCopy();
    JsonNode details = error.path("details");
    if (details.isObject()) {
      ObjectNode copy = (ObjectNode) details;
      copy.remove("outcomes");
      JsonNode index = copy.get("index");
      if (index != null && index.canConvertToInt() && index.asInt() >= 0 && index.asInt() < volumes.size()) {
        copy.put("volume", Render.text(volumes.get(index.asInt()).path("name")));
      }
      if (copy.isEmpty()) {
        error.remove("details");
      }
    }
    return Render.error(new Reply.Failure(error));
  }

  static String table(List<Row> rows) {
    Table table =
        new Table()
            .column("NAME", Table.Align.LEFT)
            .column("SIZE", Table.Align.RIGHT)
            .column("FS", Table.Align.LEFT)
            .column("ALLOCATION", Table.Align.LEFT)
            .column("OUTCOME", Table.Align.LEFT);
    for (Row row : rows) {
      table.row(row.name(), row.size(), row.fs(), row.allocation(), row.outcome());
    }
    return table.render();
  }

  /** {@code 3 created, 1 existed, 1 failed in 2.4 s (2.1 volumes/s)}. */
  static String total(List<Row> rows, long wallNanos) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    ORDER.forEach(kind -> counts.put(kind, 0));
    rows.forEach(row -> counts.merge(row.kind(), 1, Integer::sum));
    List<String> parts = new ArrayList<>();
    counts.forEach((kind, n) -> {
      if (n > 0 || !(kind.equals("rolled back") || kind.equals("not started"))) {
        parts.add(n + " " + kind);
      }
    });
    double seconds = wallNanos / 1e9;
    String rate = seconds > 0 ? Progress.rate(rows.size() / seconds) + " volumes/s" : "- volumes/s";
    return String.join(", ", parts) + " in " + wall(wallNanos) + " (" + rate + ")\n";
  }

  /** {@code 0.8 s}, {@code 12.3 s}, {@code 2:05}. */
  static String wall(long nanos) {
    double seconds = nanos / 1e9;
    return seconds < 60
        ? String.format(Locale.ROOT, "%.1f s", seconds)
        : Progress.clock(Math.round(seconds));
  }

  private static Row fromVolume(JsonNode volume) {
    String kind = volume.path("existed").asBoolean(false) ? "existed" : "created";
    return new Row(volume.path("name").asText(), Render.bytes(volume.path("size")), Render.text(volume.path("fs")),
        Render.text(volume.path("allocation")), kind, kind);
  }

  private static Row fromSpec(JsonNode spec, String kind, JsonNode error) {
    String outcome = error != null && error.isObject() ? kind + " " + codeAndMessage(error) : kind;
    return new Row(spec.path("name").asText(), specSize(spec.path("size")), Render.text(spec.path("fs")),
        Render.text(spec.path("allocation")), outcome, kind);
  }

  private static String failedText(JsonNode error) {
    return "failed " + codeAndMessage(error);
  }

  private static String codeAndMessage(JsonNode error) {
    String message = Progress.oneLine(error.path("message").asText(""));
    return error.path("code").asText("INTERNAL") + (message.isEmpty() ? "" : ": " + message);
  }

  /** A size as it was asked for, in binary units when the daemon's grammar reads it: "8192M" is 8.0 GiB. */
  static String specSize(JsonNode size) {
    if (size.isIntegralNumber()) {
      return Sizes.human(size.asLong());
    }
    if (size.isTextual()) {
      try {
        return Sizes.human(Sizes.parse(size.asText()));
      } catch (IllegalArgumentException unreadable) {
        // shown as written
      }
    }
    return Render.text(size);
  }

  private static Map<String, JsonNode> byName(JsonNode array) {
    Map<String, JsonNode> map = new LinkedHashMap<>();
    for (JsonNode item : array) {
      map.putIfAbsent(item.path("name").asText(), item);
    }
    return map;
  }
}

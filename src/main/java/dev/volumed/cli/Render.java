package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.model.Sizes;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.function.UnaryOperator;

/** The human-readable output of each command, from the daemon's result. */
final class Render {
  private Render() {}

  static String ping(JsonNode result) {
    return "volumed " + text(result.path("version")) + ", protocol " + text(result.path("protocol")) + "\n"
        + unavailable(result);
  }

  static String pools(JsonNode result) {
    return pools(result, UnaryOperator.identity());
  }

  /** The pools, their level shown through {@code level} (colour on a terminal). */
  static String pools(JsonNode result, UnaryOperator<String> level) {
    Table table =
        new Table()
            .column("NAME", Table.Align.LEFT)
            .column("PATH", Table.Align.LEFT)
            .column("LEVEL", Table.Align.LEFT).painted(level)
            .column("ALLOC%", Table.Align.RIGHT)
            .column("FS-USED%", Table.Align.RIGHT)
            .column("CAPACITY", Table.Align.RIGHT)
            .column("COMMITTED", Table.Align.RIGHT)
            .column("PROVISIONED", Table.Align.RIGHT)
            .column("ALLOCATED", Table.Align.RIGHT)
            .column("FS-FREE", Table.Align.RIGHT)
            .column("AVAIL-FALLOCATE", Table.Align.RIGHT)
            .column("AVAIL-SPARSE", Table.Align.RIGHT)
            .column("OVERCOMMIT", Table.Align.RIGHT);
    for (JsonNode pool : result.path("pools")) {
      JsonNode ratio = pool.path("maxOvercommitRatio");
      table.row(
          text(pool.path("name")),
          text(pool.path("path")),
          text(pool.path("level")),
          percent(pool.path("allocatedPercent")),
          percent(pool.path("filesystemUsedPercent")),
          bytes(pool.path("capacityBytes")),
          bytes(pool.path("committedBytes")),
          bytes(pool.path("provisionedBytes")),
          bytes(pool.path("allocatedBytes")),
          bytes(pool.path("filesystemFreeBytes")),
          bytes(pool.path("availableForFallocateBytes")),
          bytes(pool.path("availableForSparseBytes")),
          ratio.isNumber() ? ratio.asText() + "x" : text(ratio));
    }
    return table.render() + capabilities(result) + unavailable(result);
  }

  /** {@code default: holes, fallocate}: per pool, what its file system can do (none: "nothing of these"). */
  static String capabilities(JsonNode result) {
    StringBuilder lines = new StringBuilder();
    for (JsonNode pool : result.path("pools")) {
      JsonNode caps = pool.path("capabilities");
      if (caps.isObject()) {
        java.util.List<String> can = new java.util.ArrayList<>();
        caps.properties().forEach(cap -> {
          if (cap.getValue().asBoolean(false)) {
            can.add(cap.getKey());
          }
        });
        lines.append("can do: pool ").append(text(pool.path("name"))).append(": ")
            .append(can.isEmpty() ? "none of holes, fallocate, reflink, nocow" : String.join(", ", can)).append('\n');
      }
    }
    return lines.toString();
  }

  static String volumes(JsonNode result) {
    Table table =
        new Table()
            .column("POOL", Table.Align.LEFT)
            .column("NAME", Table.Align.LEFT)
            .column("SIZE", Table.Align.RIGHT)
            .column("ALLOCATED", Table.Align.RIGHT)
            .column("FS", Table.Align.LEFT)
            .column("LABEL", Table.Align.LEFT)
            .column("ALLOCATION", Table.Align.LEFT)
            .column("STATE", Table.Align.LEFT)
            .column("CREATED", Table.Align.LEFT);
    for (JsonNode volume : result.path("volumes")) {
      table.row(
          text(volume.path("pool")),
          text(volume.path("name")),
          bytes(volume.path("size")),
          bytes(volume.path("allocatedBytes")),
          text(volume.path("fs")),
          text(volume.path("label")),
          text(volume.path("allocation")),
          text(volume.path("state")),
          time(volume.path("createdAt")));
    }
    StringBuilder damaged = new StringBuilder();
    for (JsonNode volume : result.path("volumes")) {
      if (volume.hasNonNull("damage")) {
        damaged.append("damaged: ").append(text(volume.path("pool"))).append(' ').append(text(volume.path("name")))
            .append(": ").append(text(volume.path("damage"))).append('\n');
      }
    }
    return table.render() + damaged + unavailable(result);
  }

  /** A line per pool that cannot use its books now (the daemon names them under "unavailable"). */
  static String unavailable(JsonNode result) {
    StringBuilder lines = new StringBuilder();
    for (JsonNode pool : result.path("unavailable")) {
      JsonNode error = pool.path("error");
      lines.append("unavailable: pool ").append(text(pool.path("name"))).append(" (").append(text(pool.path("path")))
          .append("): ").append(text(error.path("code"))).append(' ').append(text(error.path("message"))).append('\n');
    }
    return lines.toString();
  }

  /** One volume as {@code key: value} lines; {@code existed: true} when create found it there. */
  static String volume(JsonNode volume) {
    Table lines = new Table().column("", Table.Align.LEFT).column("", Table.Align.LEFT);
    lines.row("pool:", text(volume.path("pool")));
    lines.row("name:", text(volume.path("name")));
    lines.row("path:", text(volume.path("path")));
    lines.row("size:", exactBytes(volume.path("size")));
    lines.row("fs:", text(volume.path("fs")));
    lines.row("label:", text(volume.path("label")));
    lines.row("allocation:", text(volume.path("allocation")));
    lines.row("allocated:", exactBytes(volume.path("allocatedBytes")));
    lines.row("state:", text(volume.path("state")));
    if (volume.hasNonNull("damage")) {
      lines.row("damage:", text(volume.path("damage")));
    }
    lines.row("created:", time(volume.path("createdAt")));
    if (volume.path("holders").isArray()) {
      lines.row("holders:", holders(volume.path("holders")));
    }
    if (volume.path("existed").asBoolean(false)) {
      lines.row("existed:", "true");
    }
    String rendered = lines.render();
    return rendered.substring(rendered.indexOf('\n') + 1); // no header row
  }

  /** {@code pid 4242 (cloud-hypervisor), /dev/loop3}, or {@code none}: what holds the image open (get). */
  static String holders(JsonNode holders) {
    java.util.List<String> each = new java.util.ArrayList<>();
    for (JsonNode holder : holders) {
      each.add(holder.has("device") ? text(holder.path("device"))
          : "pid " + text(holder.path("pid")) + " (" + text(holder.path("command")) + ")");
    }
    return each.isEmpty() ? "none" : String.join(", ", each);
  }

  static String deleted(JsonNode result, String name) {
    JsonNode deleted = result.path("deleted");
    return "deleted " + (deleted.isTextual() ? deleted.asText() : name) + "\n";
  }

  /** {@code reclaimed 60.0 MiB (62914560 bytes) of NAME}, then the volume as it is now. */
  static String reclaimed(JsonNode result) {
    JsonNode volume = result.path("volume");
    return "reclaimed " + exactBytes(result.path("reclaimedBytes")) + " of " + text(volume.path("name")) + "\n"
        + volume(volume);
  }

  /** {@code error CODE: message}, then the details, one {@code   key: value} line each. */
  static String error(Reply.Failure failure) {
    StringBuilder s = new StringBuilder("error ").append(failure.code()).append(": ").append(failure.message());
    s.append('\n');
    JsonNode details = failure.error().path("details");
    if (details.isObject()) {
      for (Map.Entry<String, JsonNode> field : details.properties()) {
        JsonNode value = field.getValue();
        s.append("  ").append(field.getKey()).append(": ");
        s.append(value.isValueNode() ? value.asText() : value.toString()).append('\n');
      }
    } else if (!details.isMissingNode() && !details.isNull()) {
      s.append("  ").append(details).append('\n');
    }
    return s.toString();
  }

  /** A scalar as text; {@code -} for null or missing. */
  static String text(JsonNode node) {
    if (node.isMissingNode() || node.isNull()) {
      return "-";
    }
    return node.isValueNode() ? node.asText() : node.toString();
  }

  /** A byte count in binary units; {@code -} for null or missing. */
  /** {@code 85.2}: a percent with one decimal (rounded down, as volumed rounds). */
  static String percent(JsonNode node) {
    return node.isNumber() ? String.format(java.util.Locale.ROOT, "%.1f", Math.floor(node.asDouble() * 10) / 10)
        : text(node);
  }

  static String bytes(JsonNode node) {
    return node.isIntegralNumber() ? Sizes.human(node.asLong()) : text(node);
  }

  /** {@code 10.0 GiB (10737418240 bytes)}: both, where the exact count matters. */
  static String exactBytes(JsonNode node) {
    if (!node.isIntegralNumber()) {
      return text(node);
    }
    long n = node.asLong();
    return Math.abs(n) < 1024 ? Sizes.human(n) : Sizes.human(n) + " (" + n + " bytes)";
  }

  /** An ISO-8601 time to the second, in UTC; as sent when it cannot be read. */
  static String time(JsonNode node) {
    if (!node.isTextual()) {
      return text(node);
    }
    String raw = node.asText();
    try {
      return Instant.parse(raw).truncatedTo(ChronoUnit.SECONDS).toString();
    } catch (DateTimeParseException notAnInstant) {
      try {
        return OffsetDateTime.parse(raw).toInstant().truncatedTo(ChronoUnit.SECONDS).toString();
      } catch (DateTimeParseException notAnOffsetTime) {
        return raw;
      }
    }
  }
}

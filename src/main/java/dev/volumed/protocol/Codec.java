package dev.volumed.protocol;

import dev.volumed.model.VolumeException;
import dev.volumed.model.ErrorCode;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.model.Holder;
import dev.volumed.model.Volume;
import java.util.List;
import dev.volumed.model.VolumeSpec;
import java.nio.file.Path;
import java.util.Map;

/**
 * The encoder of wire protocol v1 (one JSON object per line): requests as volumectl sends them,
 * and replies and events as volumed answers; {@link Requests} decodes requests.
 */
public final class Codec {
  public static final ObjectMapper JSON = new ObjectMapper();
  public static final String VERSION = "0.1.0";
  public static final int PROTOCOL = 1;

  /** No argument of a request is this long, so a longer string is refused before it is read whole. */
  public static final int MAX_STRING_CHARS = 64 * 1024;
  private static final ObjectMapper REQUESTS = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_STRING_CHARS).build())
      .build());

  private Codec() {}

  /** Parses one line; the result may be any JSON value (the caller checks it is an object). */
  public static JsonNode parse(byte[] line) throws VolumeException {
    try {
      JsonNode node = REQUESTS.readTree(line);
      if (node == null || node.isMissingNode()) {
        throw new VolumeException(ErrorCode.BAD_REQUEST, "empty line; send one JSON object per line");
      }
      return node;
    } catch (StreamConstraintsException e) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "a string in this line is longer than " + MAX_STRING_CHARS
          + " characters; no argument of a request is that long (an id is at most 128 bytes)");
    } catch (JsonProcessingException e) {
      throw new VolumeException(ErrorCode.BAD_REQUEST,
          "line is not valid JSON (" + e.getOriginalMessage() + "); send one JSON object per line");
    } catch (java.io.IOException e) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "line cannot be read: " + e.getMessage());
    }
  }

  /**
   * {@code {"id", "op", ...arguments}}: only what the request holds, so the daemon applies its
   * defaults (a list without pool lists every pool). Without {@code "id"} when {@code id} is null.
   */
  public static ObjectNode request(String id, Request request) {
    ObjectNode node = JSON.createObjectNode();
    if (id != null) {
      node.put("id", id);
    }
    node.put("op", request.op().wireName());
    if (request instanceof Request.Create create) {
      node.put("pool", create.pool());
      if (create.volume().fields() instanceof ObjectNode args) {
        node.setAll(args.deepCopy());
      }
    } else if (request instanceof Request.Batch batch) {
      node.put("pool", batch.pool());
      node.put("atomic", batch.atomic());
      node.put("progress", batch.progress());
      ArrayNode volumes = node.putArray("volumes");
      batch.volumes().forEach(volume -> volumes.add(volume.fields().deepCopy()));
    } else if (request instanceof Request.Get get) {
      node.put("pool", get.pool()).put("name", get.name());
    } else if (request instanceof Request.ListVolumes list) {
      list.pool().ifPresent(pool -> node.put("pool", pool));
    } else if (request instanceof Request.Delete delete) {
      node.put("pool", delete.pool()).put("name", delete.name());
    } else if (request instanceof Request.Preallocate preallocate) {
      node.put("pool", preallocate.pool()).put("name", preallocate.name())
          .put("mode", preallocate.mode().wireName()).put("progress", preallocate.progress());
    } else if (request instanceof Request.Resize resize) {
      node.put("pool", resize.pool()).put("name", resize.name()).put("size", resize.size());
      if (resize.progress()) {
        node.put("progress", true);
      }
    } else if (request instanceof Request.Reclaim reclaim) {
      node.put("pool", reclaim.pool()).put("name", reclaim.name());
    } else if (request instanceof Request.Watch watch) {
      watch.pool().ifPresent(pool -> node.put("pool", pool));
    }
    return node;
  }

  public static ObjectNode ok(JsonNode id, JsonNode result) {
    ObjectNode reply = JSON.createObjectNode();
    reply.set("id", id == null ? NullNode.instance : id);
    reply.put("ok", true);
    reply.set("result", result);
    return reply;
  }

  public static ObjectNode error(JsonNode id, VolumeException e) {
    return error(id, e.code(), e.getMessage(), e.details());
  }

  public static ObjectNode error(JsonNode id, ErrorCode code, String message, Map<String, Object> details) {
    ObjectNode reply = JSON.createObjectNode();
    reply.set("id", id == null ? NullNode.instance : id);
    reply.put("ok", false);
    ObjectNode error = reply.putObject("error");
    error.put("code", code.name());
    error.put("message", message);
    if (details != null && !details.isEmpty()) {
      error.set("details", JSON.valueToTree(details));
    }
    return reply;
  }

  public static ObjectNode event(JsonNode id, String kind) {
    ObjectNode event = JSON.createObjectNode();
    event.set("id", id == null ? NullNode.instance : id);
    event.put("event", kind);
    return event;
  }

  /** One line of UTF-8 JSON ending in a newline. */
  public static byte[] encode(JsonNode message) {
    try {
      byte[] json = JSON.writeValueAsBytes(message);
      byte[] line = new byte[json.length + 1];
      System.arraycopy(json, 0, line, 0, json.length);
      line[json.length] = '\n';
      return line;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + message, e);
    }
  }

  /** The volume with {@code "holders": [{"pid", "command"} or {"device"}, ...]}, as get answers it. */
  public static ObjectNode withHolders(ObjectNode volume, List<Holder> holders) {
    ArrayNode array = volume.putArray("holders");
    holders.forEach(holder -> array.add(JSON.valueToTree(holder.fields())));
    return volume;
  }

  public static ObjectNode volume(String pool, Path root, Volume volume) {
    VolumeSpec spec = volume.spec();
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("pool", pool);
    node.put("name", spec.name());
    node.put("path", root.resolve(spec.name()).toString());
    node.put("size", spec.size());
    node.put("fs", spec.fs().wireName());
    if (spec.label().isPresent()) {
      node.put("label", spec.label().get());
    } else {
      node.putNull("label");
    }
    node.put("allocation", spec.allocation().wireName());
    node.put("allocatedBytes", volume.allocatedBytes());
    node.put("state", volume.state().wireName());
    volume.damage().ifPresent(reason -> node.put("damage", reason));
    node.put("createdAt", volume.createdAt().toString());
    if (!spec.mkfsArgs().isEmpty()) {
      spec.mkfsArgs().forEach(node.putArray("mkfsArgs")::add);
    }
    if (volume.adopted()) {
      node.put("adopted", true);
    }
    return node;
  }
}

package dev.volumed.disk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The JSON volumed keeps beside a pool's images: one metadata file per volume (version 1: what the
 * image itself cannot tell, i.e. allocation, label as asked, mkfsArgs, creation time, adopted) and one
 * note per atomic batch that is publishing (the list of its volumes' names).
 */
final class Metadata {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Metadata() {}

  static byte[] bytes(Volume volume) throws JsonProcessingException {
    VolumeSpec spec = volume.spec();
    ObjectNode node = JSON.createObjectNode();
    node.put("version", 1);
    node.put("name", spec.name());
    node.put("size", spec.size());
    node.put("fs", spec.fs().wireName());
    if (spec.label().isPresent()) {
      node.put("label", spec.label().get());
    } else {
      node.putNull("label");
    }
    ArrayNode args = node.putArray("mkfsArgs");
    spec.mkfsArgs().forEach(args::add);
    node.put("allocation", spec.allocation().wireName());
    node.put("createdAt", volume.createdAt().toString());
    node.put("adopted", volume.adopted());
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
  }

  /** The volume name's metadata says, READY with 0 bytes allocated until its image is measured. */
  static Volume volume(String name, byte[] bytes) throws IOException {
    JsonNode node = JSON.readTree(bytes);
    List<String> mkfsArgs = new ArrayList<>();
    node.path("mkfsArgs").forEach(arg -> mkfsArgs.add(arg.asText()));
    VolumeSpec spec = new VolumeSpec(
        name,
        node.get("size").asLong(),
        FileSystemType.fromWire(node.get("fs").asText()).orElseThrow(),
        node.path("label").isTextual() ? Optional.of(node.get("label").asText()) : Optional.empty(),
        mkfsArgs,
        Allocation.fromWire(node.get("allocation").asText()).orElseThrow());
    return new Volume(spec, Instant.parse(node.get("createdAt").asText()), 0,
        Volume.State.READY, node.path("adopted").asBoolean(false));
  }

  static byte[] noteBytes(List<String> names) throws JsonProcessingException {
    return JSON.writeValueAsBytes(JSON.valueToTree(names));
  }

  /** A batch note: the JSON list of its volumes' names. */
  static List<String> noteNames(byte[] bytes) throws IOException {
    JsonNode list = JSON.readTree(bytes);
    List<String> names = new ArrayList<>();
    if (list == null || !list.isArray()) {
      throw new IOException("not a JSON list of volume names");
    }
    for (JsonNode name : list) {
      if (!name.isTextual()) {
        throw new IOException("not a JSON list of volume names");
      }
      names.add(name.asText());
    }
    return names;
  }

  /** A short cause for a log line: Jackson's own message without its source excerpt. */
  static String describe(Exception e) {
    if (e instanceof JsonProcessingException json) {
      return json.getOriginalMessage() + (json.getLocation() == null ? ""
          : " at line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr());
    }
    return e.toString();
  }
}

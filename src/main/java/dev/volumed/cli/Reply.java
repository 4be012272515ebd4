package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** The final reply to a request: its result, or the daemon's error object. */
sealed interface Reply permits Reply.Success, Reply.Failure {

  /** {@code "ok": true}: the op's {@code result}. */
  record Success(JsonNode result) implements Reply {}

  /** {@code "ok": false}: the {@code error} object, with {@code code}, {@code message}, maybe {@code details}. */
  record Failure(JsonNode error) implements Reply {
    String code() {
      return error.path("code").asText("INTERNAL");
    }

    String message() {
      return error.path("message").asText("");
    }
  }

  /** Reads a reply line; empty when it is neither a success nor a failure. */
  static Optional<Reply> of(JsonNode line) {
    JsonNode ok = line.get("ok");
    if (ok == null || !ok.isBoolean()) {
      return Optional.empty();
    }
    if (ok.booleanValue()) {
      JsonNode result = line.get("result");
      return Optional.of(new Success(result == null ? Json.MAPPER.createObjectNode() : result));
    }
    JsonNode error = line.get("error");
    if (error == null || !error.isObject()) {
      ObjectNode unknown = Json.MAPPER.createObjectNode();
      unknown.put("code", "INTERNAL");
      unknown.put("message", "volumed refused the request without saying why");
      return Optional.of(new Failure(unknown));
    }
    return Optional.of(new Failure(error));
  }
}

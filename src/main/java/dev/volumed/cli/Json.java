package dev.volumed.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The one ObjectMapper of the client: thread-safe once configured, and never reconfigured. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}
}

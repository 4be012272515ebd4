package dev.volumed.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the JSON FILE of batch and import-microvm: a path, or {@code -} for stdin. */
final class InputFiles {
  /** One JSON value and nothing after it. */
  private static final ObjectReader READER =
      Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private InputFiles() {}

  static JsonNode read(String file, InputStream stdin) throws InputException {
    String shown = file.equals("-") ? "stdin" : file;
    String text;
    try {
      text = file.equals("-")
          ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
          : Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new InputException("cannot read " + shown + ": there is no such file", e);
    } catch (AccessDeniedException e) {
      throw new InputException("cannot read " + shown + ": permission denied", e);
    } catch (InvalidPathException e) {
      throw new InputException("cannot read " + shown + ": not a usable path: " + e.getMessage(), e);
    } catch (IOException e) {
      String why = Files.isDirectory(Path.of(file)) ? "it is a directory" : String.valueOf(e.getMessage());
      throw new InputException("cannot read " + shown + ": " + why, e);
    }
    if (text.isBlank()) {
      throw new InputException(shown + " is empty; it should hold a JSON array");
    }
    try {
      return READER.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw new InputException(shown + " is not valid JSON" + where + ": " + e.getOriginalMessage(), e);
    }
  }
}

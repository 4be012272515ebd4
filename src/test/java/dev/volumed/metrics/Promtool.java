package dev.volumed.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Prometheus's promtool (Debian's package prometheus, installed by .ci/run) and gives its exit code and output. */
final class Promtool {
  static final Path PROMTOOL = Path.of("/usr/bin/promtool");

  record Result(int exitCode, String output) {}

  private Promtool() {}

  /** {@code promtool args...} with {@code stdin} as its input (null: none). */
  static Result run(byte[] stdin, String... args) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>();
    argv.add(PROMTOOL.toString());
    argv.addAll(List.of(args));
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    if (stdin != null) {
      process.getOutputStream().write(stdin);
    }
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("promtool " + args + " did not end within 60 s");
    }
    return new Result(process.exitValue(), output);
  }
}

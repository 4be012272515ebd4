package dev.volumed.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CSI project's conformance suite, csi-sanity (kubernetes-csi/csi-test v5.2.0), run as a
 * process against a CSI endpoint. It is not part of the project: it is found at $CSI_SANITY, else
 * in ../shared/tools (beside the checkout, where CI has it), else /work/shared/tools.
 */
public final class CsiSanity {
  private static final Pattern SUMMARY =
      Pattern.compile("(\\d+) Passed \\| (\\d+) Failed \\| (\\d+) Pending \\| (\\d+) Skipped");

  /** A skipped spec's reason as ginkgo -v prints it: "[SKIPPED] CreateSnapshot not supported". */
  private static final Pattern SKIP_REASON = Pattern.compile("^\\s*\\[SKIPPED\\] (?!in \\[)(.+)$", Pattern.MULTILINE);

  /** What a run gave: its exit code, its counts, the reasons of its skips (one per skip) and its whole output. */
  public record Run(int exitCode, int passed, int failed, int pending, int skipped, List<String> skipReasons,
      String output) {
    public String describe() {
      return "csi-sanity exit " + exitCode + ", " + passed + " passed, " + failed + " failed, " + skipped
          + " skipped; output:\n" + output;
    }
  }

  private CsiSanity() {}

  /** The suite's binary, if this machine has it. */
  public static Optional<Path> binary() {
    List<Path> places = new ArrayList<>();
    String env = System.getenv("CSI_SANITY");
    if (env != null && !env.isBlank()) {
      places.add(Path.of(env));
    }
    places.add(Path.of("..", "shared", "tools", "csi-sanity").toAbsolutePath().normalize());
    places.add(Path.of("/work/shared/tools/csi-sanity"));
    return places.stream().filter(Files::isExecutable).findFirst();
  }

  /**
   * Runs the suite against {@code endpoint} with its mount and staging folders under {@code work},
   * and these further flags (e.g. -ginkgo.focus); waits at most {@code minutes}.
   */
  public static Run run(Path binary, Path endpoint, Path work, long minutes, String... flags) throws Exception {
    List<String> command = new ArrayList<>(List.of(binary.toString(),
        "-csi.endpoint", "unix://" + endpoint,
        "-csi.mountdir", work.resolve("mnt").toString(),
        "-csi.stagingdir", work.resolve("stage").toString(),
        "-csi.testvolumesize", String.valueOf(1L << 30),
        "-csi.testvolumeexpandsize", String.valueOf(2L << 30),
        "-ginkgo.no-color", "-ginkgo.v"));
    command.addAll(List.of(flags));
    Path out = work.resolve("csi-sanity.out");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("csi-sanity still ran after " + minutes + " min; output:\n" + read(out));
    }
    String output = read(out);
    Matcher summary = SUMMARY.matcher(output);
    if (!summary.find()) {
      throw new AssertionError("csi-sanity printed no summary (exit " + process.exitValue() + "):\n" + output);
    }
    List<String> reasons = new ArrayList<>();
    Matcher reason = SKIP_REASON.matcher(output);
    while (reason.find()) {
      reasons.add(reason.group(1).trim());
    }
    return new Run(process.exitValue(), Integer.parseInt(summary.group(1)), Integer.parseInt(summary.group(2)),
        Integer.parseInt(summary.group(3)), Integer.parseInt(summary.group(4)), List.copyOf(reasons), output);
  }

  private static String read(Path out) throws IOException {
    return Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "";
  }
}

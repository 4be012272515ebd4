package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code volumectl completion bash}: a script bash accepts, and that completes what volumectl takes. */
class CompletionTest {

  @TempDir Path dir;
  private Path script;

  @BeforeEach
  void printTheScript() throws IOException {
    Captured c = Captured.run("completion", "bash");
    assertEquals(0, c.exit(), c.err());
    assertEquals("", c.err());
    assertTrue(c.out().contains("complete -F _complete_volumectl"), c.out());
    script = Files.writeString(dir.resolve("volumectl.bash"), c.out());
  }

  @Test
  void bashAcceptsTheScript() throws Exception {
    Bash run = bash("bash", "-n", script.toString());
    assertEquals(0, run.exit(), run.output());
  }

  @Test
  void completesACommandFromItsFirstLetters() throws Exception {
    assertEquals(List.of("create"), complete("volumectl", "cr"));
    assertEquals(List.of("import-microvm"), complete("volumectl", "im"));
  }

  @Test
  void completesTheOptionsOfTheCommandAndTheirKnownValues() throws Exception {
    assertEquals(List.of("--allocation"), complete("volumectl", "create", "a.img", "--al"));
    assertEquals(List.of("fallocate", "full"), complete("volumectl", "create", "a.img", "--allocation", "f"));
    assertEquals(List.of("xfs"), complete("volumectl", "create", "a.img", "--fs", "x"));
    assertEquals(List.of("bash"), complete("volumectl", "completion", ""));
  }

  /**
   * What bash offers for the last of {@code words}, as if TAB were pressed after it: the script is
   * sourced and its completion function called as bash's completion would call it.
   */
  private List<String> complete(String... words) throws Exception {
    String line = String.join(" ", words);
    List<String> command = new ArrayList<>(List.of("bash", "-c",
        "source \"$1\"; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 )); COMP_LINE=\"$*\";"
            + " COMP_POINT=${#COMP_LINE}; _complete_volumectl 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"",
        "bash", script.toString()));
    command.addAll(List.of(words));
    Bash run = bash(command.toArray(String[]::new));
    assertEquals(0, run.exit(), line + ": " + run.output());
    return run.output().lines().filter(l -> !l.isEmpty()).toList();
  }

  private record Bash(int exit, String output) {}

  private static Bash bash(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "bash did not finish");
    return new Bash(process.exitValue(), output);
  }
}

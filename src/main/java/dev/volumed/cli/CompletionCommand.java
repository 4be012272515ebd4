package dev.volumed.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code completion bash}: prints a bash completion script for volumectl's commands, options and
 * their known values, generated from the same command definitions that parse the command line.
 */
@Command(name = "completion", description = "print a shell completion script",
    footer = {"", "For every user:",
        "  volumectl completion bash > /etc/bash_completion.d/volumectl",
        "For this shell only:", "  source <(volumectl completion bash)"})
final class CompletionCommand implements Callable<Integer> {
  @ParentCommand Cli cli;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "SHELL", completionCandidates = Shells.class, description = "bash")
  String shell;

  @Override
  public Integer call() {
    if (!shell.equals("bash")) {
      throw new ParameterException(spec.commandLine(), "completion knows bash only, not '" + shell + "'");
    }
    cli.out.print(AutoComplete.bash(spec.root().name(), spec.root().commandLine()));
    return VolumeCtl.OK;
  }

  static final class Shells extends java.util.ArrayList<String> {
    private static final long serialVersionUID = 1L;

    Shells() {
      super(List.of("bash"));
    }
  }
}

package dev.volumed.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * A command line volumectl cannot run: one line on stderr saying why, then the synopsis of the
 * command it was for and where to read more; exit code 2. Nothing is sent to volumed.
 */
final class UsageErrors implements IParameterExceptionHandler {
  private final PrintStream err;

  UsageErrors(PrintStream err) {
    this.err = err;
  }

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine.Help help = e.getCommandLine().getHelp();
    err.print("volumectl: " + message(e, args) + "\n"
        + help.synopsisHeading() + help.synopsis(help.synopsisHeadingLength())
        + "Try '" + help.commandSpec().qualifiedName() + " --help'.\n");
    return VolumeCtl.USAGE;
  }

  /**
   * picocli's message, except where it can say more plainly what is wrong: a word that is no
   * command or one argument too many, and an operand or a required option that is not there
   * ({@code create needs --size SIZE}). An unknown option, and an option given without its value,
   * keep picocli's message, which names the option.
   */
  static String message(ParameterException e, String[] args) {
    CommandSpec command = e.getCommandLine().getCommandSpec();
    if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()
        && !unmatched.getUnmatched().get(0).startsWith("-")) {
      String word = unmatched.getUnmatched().get(0);
      if (command.parent() != null) {
        return "unexpected argument '" + word + "' for " + command.name();
      }
      List<String> closest = unmatched.getSuggestions();
      return "unknown command '" + word + "'" + (closest.isEmpty() ? "" : " (did you mean " + closest.get(0) + "?)");
    }
    if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()
        && missing.getMissing().stream().noneMatch(arg -> given(arg, args))) {
      return command.name() + " needs "
          + missing.getMissing().stream().map(UsageErrors::describe).collect(Collectors.joining(" and "));
    }
    return e.getMessage();
  }

  /** {@code --size SIZE}, or {@code a FILE} for an operand. */
  private static String describe(ArgSpec arg) {
    return arg instanceof OptionSpec option ? option.longestName() + " " + option.paramLabel() : "a " + arg.paramLabel();
  }

  /** Whether {@code arg}, an option, is on the command line (then only its value is missing). */
  private static boolean given(ArgSpec arg, String[] args) {
    return arg instanceof OptionSpec option
        && Arrays.stream(args).anyMatch(a -> Arrays.stream(option.names()).anyMatch(n -> a.equals(n) || a.startsWith(n + "=")));
  }
}

package dev.volumed.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Stack;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The values some options take: what shell completion offers, and what --mkfs-arg accepts. */
final class Values {
  /** --allocation: volumectl refuses any other value itself (exit 2). */
  static final List<String> ALLOCATIONS = List.of("sparse", "fallocate", "full");

  /** --fs: offered by completion only; any other is sent as is, and volumed answers for it. */
  static final List<String> FILE_SYSTEMS = List.of("ext4", "ext3", "ext2", "xfs", "btrfs", "vfat", "swap", "none");

  private Values() {}

  static final class Allocations extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    Allocations() {
      super(ALLOCATIONS);
    }
  }

  static final class FileSystems extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    FileSystems() {
      super(FILE_SYSTEMS);
    }
  }

  /**
   * --mkfs-arg takes the next argument whatever it looks like ({@code --mkfs-arg --nodesize}):
   * mkfs options are values here. Every other option refuses a value that looks like an option,
   * as a forgotten value ({@code --size --pool p}).
   */
  static final class AnyValue implements IParameterConsumer {
    @Override
    public void consumeParameters(Stack<String> args, ArgSpec option, CommandSpec command) {
      if (args.isEmpty()) {
        throw new MissingParameterException(command.commandLine(), option, ((OptionSpec) option).longestName() + " needs a value");
      }
      List<String> values = option.getValue();
      values.add(args.pop());
    }
  }
}

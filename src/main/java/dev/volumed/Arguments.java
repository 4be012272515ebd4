package dev.volumed;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** volumed's command line: what to do, and the configuration files it names. */
sealed interface Arguments {
  String USAGE = "usage: volumed [--config FILE] | --check-config FILE | --version | --help";

  /** Run the daemon with these files read over the packaged defaults, later ones winning. */
  record Serve(List<Path> files) implements Arguments {
    public Serve {
      files = List.copyOf(files);
    }
  }

  /** Check FILE over the packaged defaults, print what would be served, start and create nothing. */
  record CheckConfig(Path file) implements Arguments {}

  enum PrintVersion implements Arguments { INSTANCE }

  enum PrintHelp implements Arguments { INSTANCE }

  /** What the arguments ask for; a usage error throws IllegalArgumentException with one line. */
  static Arguments parse(String[] args) {
    List<Path> files = new ArrayList<>();
    Path check = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--config", "--check-config" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(args[i] + " needs a file");
          }
          Path file = Path.of(args[i + 1]);
          if (args[i].equals("--config")) {
            files.add(file);
          } else if (check == null) {
            check = file;
          } else {
            throw new IllegalArgumentException("--check-config takes one file");
          }
          i++;
        }
        case "--version" -> {
          return PrintVersion.INSTANCE;
        }
        case "-h", "--help" -> {
          return PrintHelp.INSTANCE;
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (check != null && !files.isEmpty()) {
      throw new IllegalArgumentException("--check-config FILE checks one file: give it without --config");
    }
    return check != null ? new CheckConfig(check) : new Serve(files);
  }

  /**
   * The packaged defaults with these files read over them (a missing file is an
   * IllegalArgumentException, a syntax error a ConfigException naming file and line).
   */
  static Config load(List<Path> files) {
    Config overrides = ConfigFactory.empty();
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("config file " + file + " does not exist");
      }
      overrides = ConfigFactory.parseFile(file.toFile()).withFallback(overrides);
    }
    return overrides.withFallback(ConfigFactory.load()).resolve();
  }
}

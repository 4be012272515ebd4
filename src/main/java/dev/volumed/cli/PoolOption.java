package dev.volumed.cli;

import picocli.CommandLine.Option;

/**
 * {@code --pool P} of create, get, delete, batch and import-microvm: always sent, {@value
 * Requests#DEFAULT_POOL} unless given. (list has its own: without it, list shows every pool.)
 */
final class PoolOption {
  @Option(names = "--pool", paramLabel = "P", defaultValue = Requests.DEFAULT_POOL,
      description = "the pool (default: ${DEFAULT-VALUE})")
  String pool;
}

package dev.volumed.protocol;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;

/** What a pool puts in a create's spec when the request leaves {@code fs} or {@code allocation} out. */
public record PoolDefaults(FileSystemType fs, Allocation allocation) {}

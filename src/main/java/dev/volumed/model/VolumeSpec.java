package dev.volumed.model;

import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import java.util.List;
import java.util.Optional;

/** What a client asked for: a validated volume, defaults already applied. */
public record VolumeSpec(
    String name,
    long size,
    FileSystemType fs,
    Optional<String> label,
    List<String> mkfsArgs,
    Allocation allocation) {

  public VolumeSpec {
    mkfsArgs = List.copyOf(mkfsArgs);
  }

  /** The same volume grown (or shrunk) to size. */
  public VolumeSpec withSize(long size) {
    return new VolumeSpec(name, size, fs, label, mkfsArgs, allocation);
  }

  /** Same size, fs, label and allocation: a repeated create of this is answered {@code existed}. */
  public boolean sameShapeAs(VolumeSpec other) {
    return size == other.size
        && fs == other.fs
        && label.equals(other.label)
        && allocation == other.allocation;
  }
}

package dev.volumed.csi;

import dev.volumed.csi.v1.CapacityRange;
import dev.volumed.csi.v1.CreateVolumeRequest;
import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Names;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeSpec;
import io.grpc.Status;
import java.util.List;
import java.util.Optional;

/**
 * A CreateVolume request read into the volume it asks for, checked in this order: name,
 * capabilities, content source, parameters, fs, size, topology. The CSI name is the volumed
 * volume's name (Kubernetes' "pvc-&lt;uuid&gt;" is a valid one), so a volume made over CSI is the
 * same volume volumectl lists, and a repeated request finds it by name.
 *
 * @param pool the pool it goes into
 * @param spec the volume to make: the range's size, the fs and allocation decided, no label or mkfs arguments
 * @param range the capacity range asked for, which an existing volume of that name must fit
 */
record CreateRequests(Pools.Pool pool, VolumeSpec spec, CapacityRange range) {

  /** The volume a request asks for; a status exception (INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED) if none. */
  static CreateRequests read(CreateVolumeRequest request, Pools pools, NodeTopology node) {
    if (request.getName().isEmpty()) {
      throw Statuses.invalid("name is required");
    }
    String problem = Names.problem(request.getName());
    if (problem != null) {
      throw Statuses.invalid("name \"" + request.getName() + "\" cannot be a volumed volume's name: " + problem);
    }
    List<VolumeCapability> capabilities = request.getVolumeCapabilitiesList();
    Capabilities.check(capabilities);
    if (request.hasVolumeContentSource()) {
      throw Statuses.invalid("volume_content_source is not supported: volumed makes new, empty volumes only"
          + " (no snapshots, no clones)");
    }
    Parameters parameters = Parameters.read(request.getParametersMap(), pools);
    FileSystemType fs = fs(parameters, capabilities);
    long size = CapacityRanges.size(request.getCapacityRange());
    if (request.hasAccessibilityRequirements() && !node.allows(request.getAccessibilityRequirements())) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("volumed provisions only on its own node " + node.describe()
          + ", which accessibility_requirements do not include").asRuntimeException();
    }
    Allocation allocation = parameters.allocationOrDefault();
    VolumeSpec spec = new VolumeSpec(request.getName(), size, fs, Optional.empty(), List.of(), allocation);
    return new CreateRequests(parameters.pool(), spec, request.getCapacityRange());
  }

  /**
   * The fs: parameter fs, else the mount capability's fs_type, else "none" when every capability is
   * block, else the pool's default. Every capability must be one the chosen fs can honour.
   */
  private static FileSystemType fs(Parameters parameters, List<VolumeCapability> capabilities) {
    Optional<FileSystemType> asked = Capabilities.fs(capabilities);
    FileSystemType fs = parameters.fs().or(() -> asked).orElse(parameters.pool().settings().defaultFs());
    for (VolumeCapability capability : capabilities) {
      String problem = Capabilities.problem(capability, fs);
      if (problem != null) {
        throw Statuses.invalid(problem + (parameters.fs().isPresent() ? " (parameter fs)" : ""));
      }
    }
    return fs;
  }

  /** Null when an existing volume of the name is what this request asks for; else how it differs. */
  String mismatch(Volume existing) {
    VolumeSpec have = existing.spec();
    if (!CapacityRanges.fits(have.size(), range)) {
      return "its size " + have.size() + " is outside capacity_range [" + range.getRequiredBytes() + ", "
          + (range.getLimitBytes() == 0 ? "no limit" : range.getLimitBytes()) + "]";
    }
    if (have.fs() != spec.fs()) {
      return "it has fs " + have.fs().wireName() + ", not " + spec.fs().wireName();
    }
    if (have.allocation() != spec.allocation()) {
      return "it has allocation " + have.allocation().wireName() + ", not " + spec.allocation().wireName();
    }
    return null;
  }
}

package dev.volumed.csi;

import dev.volumed.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.volumed.csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.model.VolumeSpec;
import io.grpc.StatusRuntimeException;

/**
 * ValidateVolumeCapabilities' answer for a volume that exists: confirmed only when every
 * capability can be honoured on it (a mount needs a mountable fs, and a mount fs_type must be the
 * volume's) and the parameters, if given, are the ones it was made with; else a message saying why.
 */
final class Validation {
  private Validation() {}

  static ValidateVolumeCapabilitiesResponse of(ValidateVolumeCapabilitiesRequest request, ControllerService.Found found,
      Pools pools) {
    VolumeSpec spec = found.volume().spec();
    for (VolumeCapability capability : request.getVolumeCapabilitiesList()) {
      String problem = Capabilities.problem(capability, spec.fs());
      if (problem != null) {
        return unconfirmed(problem);
      }
    }
    if (request.getParametersCount() > 0) {
      String problem = parametersProblem(request, found, pools);
      if (problem != null) {
        return unconfirmed(problem);
      }
    }
    return ValidateVolumeCapabilitiesResponse.newBuilder().setConfirmed(
        ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
            .putAllVolumeContext(request.getVolumeContextMap())
            .addAllVolumeCapabilities(request.getVolumeCapabilitiesList())
            .putAllParameters(request.getParametersMap()))
        .build();
  }

  private static String parametersProblem(ValidateVolumeCapabilitiesRequest request, ControllerService.Found found,
      Pools pools) {
    Parameters parameters;
    try {
      parameters = Parameters.read(request.getParametersMap(), pools);
    } catch (StatusRuntimeException e) {
      return e.getStatus().getDescription();
    }
    VolumeSpec spec = found.volume().spec();
    if (!parameters.pool().name().equals(found.pool().name())) {
      return "the volume is in pool " + found.pool().name() + ", not " + parameters.pool().name();
    }
    if (parameters.fs().isPresent() && parameters.fs().get() != spec.fs()) {
      return "the volume has fs " + spec.fs().wireName() + ", not " + parameters.fs().get().wireName();
    }
    if (parameters.allocation().isPresent() && parameters.allocation().get() != spec.allocation()) {
      return "the volume has allocation " + spec.allocation().wireName() + ", not "
          + parameters.allocation().get().wireName();
    }
    return null;
  }

  private static ValidateVolumeCapabilitiesResponse unconfirmed(String message) {
    return ValidateVolumeCapabilitiesResponse.newBuilder().setMessage(message).build();
  }
}

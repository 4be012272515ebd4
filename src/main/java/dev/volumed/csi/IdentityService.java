package dev.volumed.csi;

import dev.volumed.csi.v1.GetPluginCapabilitiesRequest;
import dev.volumed.csi.v1.GetPluginCapabilitiesResponse;
import dev.volumed.csi.v1.GetPluginInfoRequest;
import dev.volumed.csi.v1.GetPluginInfoResponse;
import dev.volumed.csi.v1.IdentityGrpc;
import dev.volumed.csi.v1.PluginCapability;
import dev.volumed.csi.v1.ProbeRequest;
import dev.volumed.csi.v1.ProbeResponse;
import com.google.protobuf.BoolValue;
import io.grpc.stub.StreamObserver;
import java.time.Duration;

/**
 * CSI Identity: the driver's name and version, what it serves (a controller; volumes reachable only
 * from this host; offline expansion), and whether it is ready.
 */
final class IdentityService extends IdentityGrpc.IdentityImplBase {
  /** Probe does not wait for a pool that is still loading its books: it says "not ready" instead. */
  private static final Duration PROBE_WAIT = Duration.ofSeconds(1);

  private final String driverName;
  private final String version;
  private final Pools pools;

  IdentityService(String driverName, String version, Pools pools) {
    this.driverName = driverName;
    this.version = version;
    this.pools = pools;
  }

  @Override
  public void getPluginInfo(GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> reply) {
    CallReplies.answerNow(reply, GetPluginInfoResponse.newBuilder().setName(driverName).setVendorVersion(version)
        .build());
  }

  @Override
  public void getPluginCapabilities(GetPluginCapabilitiesRequest request,
      StreamObserver<GetPluginCapabilitiesResponse> reply) {
    CallReplies.answerNow(reply, GetPluginCapabilitiesResponse.newBuilder()
        .addCapabilities(service(PluginCapability.Service.Type.CONTROLLER_SERVICE))
        .addCapabilities(service(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS))
        // A volume grows while no one has it staged (volumed refuses to resize an image in use).
        .addCapabilities(PluginCapability.newBuilder().setVolumeExpansion(PluginCapability.VolumeExpansion.newBuilder()
            .setType(PluginCapability.VolumeExpansion.Type.OFFLINE)))
        .build());
  }

  /** Ready once every pool's books are loaded (each ledger answers GetStats only then). */
  @Override
  public void probe(ProbeRequest request, StreamObserver<ProbeResponse> reply) {
    CallReplies.answer(reply, () -> pools.stats(PROBE_WAIT).handle((stats, failure) ->
        ProbeResponse.newBuilder().setReady(BoolValue.of(failure == null)).build()));
  }

  private static PluginCapability service(PluginCapability.Service.Type type) {
    return PluginCapability.newBuilder().setService(PluginCapability.Service.newBuilder().setType(type)).build();
  }
}

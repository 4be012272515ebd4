package dev.volumed.csi;

import dev.volumed.settings.CsiSettings;
import io.grpc.BindableService;
import java.util.List;

/** The CSI services volumed serves, built on the pools: Identity, Controller and Node. */
public final class CsiServices {
  private CsiServices() {}

  public static List<BindableService> of(CsiSettings settings, String version, Pools pools) {
    return List.of(new IdentityService(settings.driverName(), version, pools),
        new NodeService(settings, pools, dev.volumed.node.NodeHost.at(settings.stateDir())));
  }
}

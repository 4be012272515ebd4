package dev.volumed.csi;

import dev.volumed.node.NodeHost;
import dev.volumed.settings.CsiSettings;
import io.grpc.BindableService;
import java.util.List;

/** The CSI services volumed serves, built on the pools: Identity, Controller and Node. */
public final class CsiServices {
  private CsiServices() {}

  /** node: the host side of the Node service, its start-up pass begun by the caller (node calls wait for it). */
  public static List<BindableService> of(CsiSettings settings, String version, Pools pools, NodeHost node) {
    return List.of(new IdentityService(settings.driverName(), version, pools),
        new ControllerService(settings, pools), new NodeService(settings, pools, node));
  }
}

package dev.volumed.csi;

import dev.volumed.csi.v1.Topology;
import dev.volumed.csi.v1.TopologyRequirement;
import dev.volumed.settings.CsiSettings;
import java.util.List;

/**
 * Where a volume can be reached: only on this host, {@code {"<driver name>/host": <node id>}}. A
 * topology names this node when it gives this node's id under that key.
 */
final class NodeTopology {
  private final String key;
  private final String nodeId;
  private final Topology topology;

  NodeTopology(CsiSettings settings) {
    this.key = settings.topologyKey();
    this.nodeId = settings.nodeId();
    this.topology = Topology.newBuilder().putSegments(key, nodeId).build();
  }

  /** This node, as a volume's accessible_topology. */
  Topology topology() {
    return topology;
  }

  boolean isThisNode(Topology other) {
    return nodeId.equals(other.getSegmentsMap().get(key));
  }

  /**
   * True when a volume placed here meets the requirement: none given, or this node among the
   * requisite topologies (the preferred ones when no requisite is given; CSI makes preferred a
   * subset of requisite).
   */
  boolean allows(TopologyRequirement requirement) {
    List<Topology> candidates = requirement.getRequisiteCount() > 0 ? requirement.getRequisiteList()
        : requirement.getPreferredList();
    return candidates.isEmpty() || candidates.stream().anyMatch(this::isThisNode);
  }

  String describe() {
    return "{" + key + ": " + nodeId + "}";
  }
}

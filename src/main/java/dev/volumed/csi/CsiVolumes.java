package dev.volumed.csi;

import dev.volumed.model.Volume;

/**
 * A volumed volume as CSI's Volume: id "&lt;pool&gt;/&lt;name&gt;", its size, reachable on this node,
 * and a volume_context naming its pool, fs and allocation (what the node service is given back).
 */
final class CsiVolumes {
  private final NodeTopology node;

  CsiVolumes(NodeTopology node) {
    this.node = node;
  }

  dev.volumed.csi.v1.Volume of(Pools.Pool pool, Volume volume) {
    return dev.volumed.csi.v1.Volume.newBuilder()
        .setVolumeId(new VolumeIds(pool.name(), volume.name()).id())
        .setCapacityBytes(volume.spec().size())
        .addAccessibleTopology(node.topology())
        .putVolumeContext(Parameters.POOL, pool.name())
        .putVolumeContext(Parameters.FS, volume.spec().fs().wireName())
        .putVolumeContext(Parameters.ALLOCATION, volume.spec().allocation().wireName())
        .build();
  }
}

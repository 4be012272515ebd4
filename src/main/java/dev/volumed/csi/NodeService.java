package dev.volumed.csi;

import dev.volumed.csi.v1.NodeExpandVolumeRequest;
import dev.volumed.csi.v1.NodeExpandVolumeResponse;
import dev.volumed.csi.v1.NodeGetCapabilitiesRequest;
import dev.volumed.csi.v1.NodeGetCapabilitiesResponse;
import dev.volumed.csi.v1.NodeGetInfoRequest;
import dev.volumed.csi.v1.NodeGetInfoResponse;
import dev.volumed.csi.v1.NodeGetVolumeStatsRequest;
import dev.volumed.csi.v1.NodeGetVolumeStatsResponse;
import dev.volumed.csi.v1.NodeGrpc;
import dev.volumed.csi.v1.NodePublishVolumeRequest;
import dev.volumed.csi.v1.NodePublishVolumeResponse;
import dev.volumed.csi.v1.NodeServiceCapability;
import dev.volumed.csi.v1.NodeStageVolumeRequest;
import dev.volumed.csi.v1.NodeStageVolumeResponse;
import dev.volumed.csi.v1.NodeUnpublishVolumeRequest;
import dev.volumed.csi.v1.NodeUnpublishVolumeResponse;
import dev.volumed.csi.v1.NodeUnstageVolumeRequest;
import dev.volumed.csi.v1.NodeUnstageVolumeResponse;
import dev.volumed.csi.v1.Topology;
import dev.volumed.csi.v1.VolumeUsage;
import dev.volumed.node.NodeException;
import dev.volumed.node.NodeHost;
import dev.volumed.node.Usage;
import dev.volumed.settings.CsiSettings;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * CSI Node: stage (a loop device, and for a mount volume its file system mounted at the staging
 * path), publish (a bind onto the target path), their undoing, usage and online growth. The volume is
 * looked up through its pool manager (it must be ready); the host work runs on the blocking
 * dispatcher, in {@link NodeHost}.
 */
final class NodeService extends NodeGrpc.NodeImplBase {
  private final CsiSettings settings;
  private final Pools pools;
  private final NodeVolumes volumes;
  private final NodeHost host;
  private final Executor blocking;

  NodeService(CsiSettings settings, Pools pools, NodeHost host) {
    this.settings = settings;
    this.pools = pools;
    this.volumes = new NodeVolumes(pools);
    this.host = host;
    this.blocking = pools.blocking();
  }

  @Override
  public void nodeGetCapabilities(NodeGetCapabilitiesRequest request,
      StreamObserver<NodeGetCapabilitiesResponse> reply) {
    NodeGetCapabilitiesResponse.Builder caps = NodeGetCapabilitiesResponse.newBuilder();
    for (NodeServiceCapability.RPC.Type type : new NodeServiceCapability.RPC.Type[] {
        NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME, NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
        NodeServiceCapability.RPC.Type.EXPAND_VOLUME}) {
      caps.addCapabilities(NodeServiceCapability.newBuilder().setRpc(NodeServiceCapability.RPC.newBuilder().setType(type)));
    }
    CallReplies.answerNow(reply, caps.build());
  }

  @Override
  public void nodeGetInfo(NodeGetInfoRequest request, StreamObserver<NodeGetInfoResponse> reply) {
    CallReplies.answerNow(reply, NodeGetInfoResponse.newBuilder().setNodeId(settings.nodeId())
        .setMaxVolumesPerNode(settings.maxVolumesPerNode())
        .setAccessibleTopology(Topology.newBuilder().putSegments(settings.topologyKey(), settings.nodeId()))
        .build());
  }

  @Override
  public void nodeStageVolume(NodeStageVolumeRequest request, StreamObserver<NodeStageVolumeResponse> reply) {
    CallReplies.answer(reply, () -> {
      String id = NodeAccess.required(request.getVolumeId(), "volume_id");
      Path staging = outsideVolumed(NodeAccess.absolute(NodeAccess.required(request.getStagingTargetPath(),
          "staging_target_path"), "staging_target_path"));
      NodeAccess access = NodeAccess.of(request.hasVolumeCapability(), request.getVolumeCapability());
      VolumeIds ids = NodeAccess.id(id);
      return afterRecovery().thenCompose(recovered -> volumes.ready(ids)).thenApplyAsync(found -> blocking(() -> {
        String fs = access.block() ? "" : access.fsFor(found.volume(), id);
        return host.stage(id, found.image(), staging, access.block(), access.readOnly(), fs, access.mountFlags());
      }), blocking).thenCompose(made -> made ? stillUntouched(ids, id, staging)
          : CompletableFuture.completedFuture(NodeStageVolumeResponse.getDefaultInstance()));
    });
  }

  @Override
  public void nodeUnstageVolume(NodeUnstageVolumeRequest request, StreamObserver<NodeUnstageVolumeResponse> reply) {
    CallReplies.answer(reply, () -> {
      String id = NodeAccess.required(request.getVolumeId(), "volume_id");
      Path staging = NodeAccess.absolute(NodeAccess.required(request.getStagingTargetPath(), "staging_target_path"),
          "staging_target_path");
      return onHost(() -> blocking(() -> {
        host.unstage(id, staging);
        return NodeUnstageVolumeResponse.getDefaultInstance();
      }));
    });
  }

  @Override
  public void nodePublishVolume(NodePublishVolumeRequest request, StreamObserver<NodePublishVolumeResponse> reply) {
    CallReplies.answer(reply, () -> {
      String id = NodeAccess.required(request.getVolumeId(), "volume_id");
      Path target = outsideVolumed(NodeAccess.absolute(NodeAccess.required(request.getTargetPath(), "target_path"),
          "target_path"));
      NodeAccess access = NodeAccess.of(request.hasVolumeCapability(), request.getVolumeCapability());
      // STAGE_UNSTAGE_VOLUME is claimed, so the CO stages first and names the staging path here.
      Path staging = NodeAccess.absolute(NodeAccess.required(request.getStagingTargetPath(), "staging_target_path"),
          "staging_target_path");
      boolean readOnly = request.getReadonly() || access.readOnly();
      return onHost(() -> blocking(() -> {
        host.publish(id, staging, target, access.block(), readOnly);
        return NodePublishVolumeResponse.getDefaultInstance();
      }));
    });
  }

  @Override
  public void nodeUnpublishVolume(NodeUnpublishVolumeRequest request,
      StreamObserver<NodeUnpublishVolumeResponse> reply) {
    CallReplies.answer(reply, () -> {
      String id = NodeAccess.required(request.getVolumeId(), "volume_id");
      Path target = NodeAccess.absolute(NodeAccess.required(request.getTargetPath(), "target_path"), "target_path");
      return onHost(() -> blocking(() -> {
        host.unpublish(id, target);
        return NodeUnpublishVolumeResponse.getDefaultInstance();
      }));
    });
  }

  @Override
  public void nodeGetVolumeStats(NodeGetVolumeStatsRequest request, StreamObserver<NodeGetVolumeStatsResponse> reply) {
    CallReplies.answer(reply, () -> {
      String id = NodeAccess.required(request.getVolumeId(), "volume_id");
      String path = NodeAccess.required(request.getVolumePath(), "volume_path");
      NodeAccess.id(id);
      Path at = NodeAccess.lookedAt(path, id);
      return onHost(() -> blocking(() -> stats(host.usage(id, at))));
    });
  }

  @Override
  public void nodeExpandVolume(NodeExpandVolumeRequest request, StreamObserver<NodeExpandVolumeResponse> reply) {
    CallReplies.answer(reply, () -> {
      String id = NodeAccess.required(request.getVolumeId(), "volume_id");
      String path = NodeAccess.required(request.getVolumePath(), "volume_path");
      NodeAccess.id(id);
      Path at = NodeAccess.lookedAt(path, id);
      long required = request.getCapacityRange().getRequiredBytes();
      return onHost(() -> blocking(() -> {
        long size = host.expand(id, at);
        if (required > size) {
          throw Status.OUT_OF_RANGE.withDescription("volume " + id + " is " + size + " bytes, less than the "
              + required + " asked: the image grows with ControllerExpandVolume (volumed's resize), which it"
              + " refuses while the volume is staged").asRuntimeException();
        }
        return NodeExpandVolumeResponse.newBuilder().setCapacityBytes(size).build();
      }));
    });
  }

  /**
   * A path volumed mounts on: never in or around a pool folder or the state folder, where a mount
   * would hide images or notes from volumed itself.
   */
  private Path outsideVolumed(Path path) {
    for (Pools.Pool pool : pools.all()) {
      Path folder = pool.settings().path().toAbsolutePath().normalize();
      if (path.startsWith(folder) || folder.startsWith(path)) {
        throw Statuses.invalid(path + " is in or around the folder of pool " + pool.name() + " (" + folder
            + "); volumed does not mount there");
      }
    }
    Path state = settings.stateDir().toAbsolutePath().normalize();
    if (path.startsWith(state) || state.startsWith(path)) {
      throw Statuses.invalid(path + " is in or around volumed.csi.state-dir (" + state + "); volumed does not mount"
          + " there");
    }
    return path;
  }

  private static NodeGetVolumeStatsResponse stats(Usage usage) {
    NodeGetVolumeStatsResponse.Builder stats = NodeGetVolumeStatsResponse.newBuilder();
    if (!usage.hasFileSystem()) {
      return stats.addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES).setTotal(usage.totalBytes()))
          .build();
    }
    return stats
        .addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES).setTotal(usage.totalBytes())
            .setUsed(usage.usedBytes()).setAvailable(usage.availableBytes()))
        .addUsage(VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.INODES).setTotal(usage.totalInodes())
            .setUsed(usage.usedInodes()).setAvailable(usage.availableInodes()))
        .build();
  }

  /**
   * A delete, resize, reclaim or preallocate over volumed's socket looks for holders only once its
   * pool's ledger has marked the volume, so asking again after the loop device is attached settles
   * the race: a change marked before that second ask is refused here (the stage undone, UNAVAILABLE),
   * and one marked after it finds the loop device and is refused BUSY. No mount ever shares an image
   * with resize2fs. Only a stage this call made is asked about (and undone): one that was there already
   * held the image all along, so no change could have begun on it.
   */
  private CompletionStage<NodeStageVolumeResponse> stillUntouched(VolumeIds ids, String id, Path staging) {
    return volumes.ready(ids).handle((found, failure) -> failure).thenComposeAsync(failure -> {
      if (failure == null) {
        return CompletableFuture.completedFuture(NodeStageVolumeResponse.getDefaultInstance());
      }
      try {
        host.unstage(id, staging);
      } catch (NodeException e) {
        failure.addSuppressed(e);
      }
      return CompletableFuture.failedFuture(failure);
    }, blocking);
  }

  /** Completes once the node's start-up pass has ended; UNAVAILABLE, with its reason, when it failed. */
  private CompletionStage<Void> afterRecovery() {
    return host.recovered().exceptionally(failure -> {
      throw Status.UNAVAILABLE.withDescription("the CSI node's start-up pass failed: " + failure.getMessage())
          .asRuntimeException();
    });
  }

  /** Host work on the blocking dispatcher, once the start-up pass has ended. */
  private <T> CompletionStage<T> onHost(java.util.function.Supplier<T> work) {
    return afterRecovery().thenApplyAsync(recovered -> work.get(), blocking);
  }

  @FunctionalInterface
  private interface HostWork<T> {
    T run() throws NodeException;
  }

  /** Runs host work, its refusal as the status CSI expects. */
  private static <T> T blocking(HostWork<T> work) {
    try {
      return work.run();
    } catch (NodeException e) {
      throw Statuses.of(e);
    }
  }
}

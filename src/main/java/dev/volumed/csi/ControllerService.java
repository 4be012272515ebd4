package dev.volumed.csi;

import com.google.protobuf.Int64Value;
import dev.volumed.actors.CreateWorker;
import dev.volumed.actors.DeleteWorker;
import dev.volumed.actors.InPlaceOutput;
import dev.volumed.actors.Ledger;
import dev.volumed.actors.PoolManager;
import dev.volumed.csi.v1.ControllerExpandVolumeRequest;
import dev.volumed.csi.v1.ControllerExpandVolumeResponse;
import dev.volumed.csi.v1.ControllerGetCapabilitiesRequest;
import dev.volumed.csi.v1.ControllerGetCapabilitiesResponse;
import dev.volumed.csi.v1.ControllerGrpc;
import dev.volumed.csi.v1.ControllerServiceCapability;
import dev.volumed.csi.v1.CreateVolumeRequest;
import dev.volumed.csi.v1.CreateVolumeResponse;
import dev.volumed.csi.v1.DeleteVolumeRequest;
import dev.volumed.csi.v1.DeleteVolumeResponse;
import dev.volumed.csi.v1.GetCapacityRequest;
import dev.volumed.csi.v1.GetCapacityResponse;
import dev.volumed.csi.v1.ListVolumesRequest;
import dev.volumed.csi.v1.ListVolumesResponse;
import dev.volumed.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.volumed.csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.Volume;
import dev.volumed.model.VolumeException;
import dev.volumed.settings.CsiSettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * CSI Controller: CreateVolume is a create, DeleteVolume a delete, ControllerExpandVolume a
 * resize, GetCapacity the ledger's own figure, each asked of the pool's manager like the socket's
 * ops (no disk access here). Every call answers when its ask does; no gRPC thread waits on one.
 */
final class ControllerService extends ControllerGrpc.ControllerImplBase {
  /** What volumed's controller does; not publish/unpublish (volumes are local), snapshots, clones or modify. */
  private static final List<ControllerServiceCapability.RPC.Type> CAPABILITIES = List.of(
      ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME, ControllerServiceCapability.RPC.Type.LIST_VOLUMES,
      ControllerServiceCapability.RPC.Type.GET_CAPACITY, ControllerServiceCapability.RPC.Type.EXPAND_VOLUME);

  private final Pools pools;
  private final NodeTopology node;
  private final CsiVolumes volumes;
  private final VolumeListing listing = new VolumeListing();

  ControllerService(CsiSettings settings, Pools pools) {
    this.pools = pools;
    this.node = new NodeTopology(settings);
    this.volumes = new CsiVolumes(node);
  }

  @Override
  public void controllerGetCapabilities(ControllerGetCapabilitiesRequest request,
      StreamObserver<ControllerGetCapabilitiesResponse> reply) {
    ControllerGetCapabilitiesResponse.Builder response = ControllerGetCapabilitiesResponse.newBuilder();
    CAPABILITIES.forEach(type -> response.addCapabilitiesBuilder().getRpcBuilder().setType(type));
    CallReplies.answerNow(reply, response.build());
  }

  /**
   * Idempotent by name: a volume of that name that fits the request (size within capacity_range,
   * same fs and allocation) is answered as made; one that does not is ALREADY_EXISTS; one still
   * being made is ABORTED (an operation is pending on it; the CO retries).
   */
  @Override
  public void createVolume(CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> reply) {
    CallReplies.answer(reply, () -> {
      CreateRequests asked = CreateRequests.read(request, pools, node);
      String name = asked.spec().name();
      return pools.<Ledger.GetReply>ask(asked.pool(), replyTo -> new PoolManager.Lookup(name, replyTo))
          .thenCompose(got -> {
            if (got instanceof Ledger.Found found) {
              return CompletableFuture.completedFuture(existing(asked, found.volume()));
            }
            Ledger.Refused refused = (Ledger.Refused) got;
            if (refused.code() != ErrorCode.NOT_FOUND) {
              throw Statuses.of(refused.code(), refused.message());
            }
            return pools.<CreateWorker.Result>ask(asked.pool(), replyTo -> new PoolManager.Create(asked.spec(), replyTo))
                .thenApply(result -> made(asked, result));
          });
    });
  }

  private CreateVolumeResponse existing(CreateRequests asked, Volume volume) {
    String where = "volume " + volume.name() + " in pool " + asked.pool().name();
    if (volume.state() == Volume.State.CREATING) {
      throw pending(where + " is still being made");
    }
    if (volume.state() == Volume.State.DAMAGED) {
      throw Statuses.of(ErrorCode.ALREADY_EXISTS, where + " exists but is damaged (" + volume.damage().orElse("")
          + "); delete it or restore its image");
    }
    String mismatch = asked.mismatch(volume);
    if (mismatch != null) {
      throw Statuses.of(ErrorCode.ALREADY_EXISTS, where + " exists, but " + mismatch);
    }
    return CreateVolumeResponse.newBuilder().setVolume(volumes.of(asked.pool(), volume)).build();
  }

  private CreateVolumeResponse made(CreateRequests asked, CreateWorker.Result result) {
    if (result instanceof CreateWorker.Created created) {
      return CreateVolumeResponse.newBuilder().setVolume(volumes.of(asked.pool(), created.volume())).build();
    }
    VolumeException error = result instanceof CreateWorker.Failed failed ? failed.error()
        : new VolumeException(ErrorCode.INTERNAL, "unexpected create result " + result);
    // BUSY here is another call making or deleting the same name: that operation is pending.
    throw error.code() == ErrorCode.BUSY ? pending(error.getMessage()) : Statuses.of(error.code(), error.getMessage());
  }

  /** Idempotent: an id volumed could not have issued, or a volume that is gone, is deleted already. */
  @Override
  public void deleteVolume(DeleteVolumeRequest request, StreamObserver<DeleteVolumeResponse> reply) {
    CallReplies.answer(reply, () -> {
      Optional<Located> located = locate(request.getVolumeId());
      if (located.isEmpty()) {
        return CompletableFuture.completedFuture(DeleteVolumeResponse.getDefaultInstance());
      }
      return pools.<DeleteWorker.Result>ask(located.get().pool(),
          replyTo -> new PoolManager.Delete(located.get().name(), replyTo)).thenApply(result -> {
            if (result instanceof DeleteWorker.Failed failed && failed.error().code() != ErrorCode.NOT_FOUND) {
              throw Statuses.of(failed.error().code(), failed.error().getMessage());
            }
            return DeleteVolumeResponse.getDefaultInstance();
          });
    });
  }

  @Override
  public void validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest request,
      StreamObserver<ValidateVolumeCapabilitiesResponse> reply) {
    CallReplies.answer(reply, () -> {
      if (request.getVolumeCapabilitiesCount() == 0) {
        requireId(request.getVolumeId());
        throw Statuses.invalid("volume_capabilities are required");
      }
      return found(request.getVolumeId()).thenApply(found -> Validation.of(request, found, pools));
    });
  }

  /** Every pool's ready volumes, by id, in pages. */
  @Override
  public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> reply) {
    CallReplies.answer(reply, () -> {
      List<CompletableFuture<List<ListVolumesResponse.Entry>>> asked = new ArrayList<>();
      for (Pools.Pool pool : pools.all()) {
        asked.add(pools.<Ledger.ListReply>ask(pool, PoolManager.ListVolumes::new).thenApply(got -> {
          if (got instanceof Ledger.Refused refused) {
            throw Statuses.of(refused.code(), refused.message());
          }
          return ((Ledger.VolumeList) got).volumes().stream().filter(v -> v.state() == Volume.State.READY)
              .map(v -> ListVolumesResponse.Entry.newBuilder().setVolume(volumes.of(pool, v)).build()).toList();
        }).toCompletableFuture());
      }
      return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(done -> {
        List<ListVolumesResponse.Entry> entries = new ArrayList<>();
        asked.forEach(pool -> entries.addAll(pool.join()));
        entries.sort(Comparator.comparing(entry -> entry.getVolume().getVolumeId()));
        return listing.page(entries, request.getMaxEntries(), request.getStartingToken());
      });
    });
  }

  /**
   * The ledger's exact figure for the pool the parameters choose: availableForFallocateBytes for
   * allocation fallocate or full (the pool's default when not given), else availableForSparseBytes;
   * 0 for another node's topology or capabilities volumed cannot honour.
   */
  @Override
  public void getCapacity(GetCapacityRequest request, StreamObserver<GetCapacityResponse> reply) {
    CallReplies.answer(reply, () -> {
      Parameters parameters = Parameters.read(request.getParametersMap(), pools);
      boolean elsewhere = request.hasAccessibleTopology() && !node.isThisNode(request.getAccessibleTopology());
      if (elsewhere || request.getVolumeCapabilitiesList().stream().anyMatch(c -> Capabilities.problem(c) != null)) {
        return CompletableFuture.completedFuture(GetCapacityResponse.getDefaultInstance());
      }
      return pools.<Ledger.StatsReply>ask(parameters.pool(), PoolManager.GetStats::new).thenApply(got -> {
        if (got instanceof Ledger.Refused refused) {
          throw Statuses.of(refused.code(), refused.message());
        }
        Ledger.PoolStats stats = (Ledger.PoolStats) got;
        long available = Math.max(0, parameters.allocationOrDefault().reservesBlocks()
            ? stats.availableForFallocateBytes() : stats.availableForSparseBytes());
        return GetCapacityResponse.newBuilder().setAvailableCapacity(available)
            .setMaximumVolumeSize(Int64Value.of(available / CapacityRanges.BLOCK
                * CapacityRanges.BLOCK))
            .build();
      });
    });
  }

  /**
   * A resize to capacity_range's size (rounded up to 4096). A volume already that large or larger
   * is answered with its size (CSI: nothing to do). volumed grows the file system itself, with
   * the image not in use, so no node expansion follows.
   */
  @Override
  public void controllerExpandVolume(ControllerExpandVolumeRequest request,
      StreamObserver<ControllerExpandVolumeResponse> reply) {
    CallReplies.answer(reply, () -> {
      requireId(request.getVolumeId());
      if (!request.hasCapacityRange() || request.getCapacityRange().getRequiredBytes() <= 0) {
        throw Statuses.invalid("capacity_range with required_bytes is required");
      }
      long size = CapacityRanges.size(request.getCapacityRange());
      return found(request.getVolumeId()).thenCompose(found -> {
        if (found.volume().state() == Volume.State.CREATING) {
          throw pending("volume " + request.getVolumeId() + " is still being made");
        }
        long now = found.volume().spec().size();
        if (now >= size) {
          return CompletableFuture.completedFuture(expanded(now));
        }
        return pools.<InPlaceOutput>ask(found.pool(), replyTo -> new PoolManager.Resize(found.volume().name(), size,
            false, replyTo)).thenApply(output -> {
              if (output instanceof InPlaceOutput.Changed changed) {
                return expanded(changed.volume().spec().size());
              }
              VolumeException error = output instanceof InPlaceOutput.Failed failed ? failed.error()
                  : new VolumeException(ErrorCode.INTERNAL, "unexpected resize output " + output);
              throw Statuses.of(error.code(), error.getMessage());
            });
      });
    });
  }

  private static ControllerExpandVolumeResponse expanded(long size) {
    return ControllerExpandVolumeResponse.newBuilder().setCapacityBytes(size).setNodeExpansionRequired(false).build();
  }

  /** A volume id's pool and name, or empty when no volume of volumed can have it. */
  record Located(Pools.Pool pool, String name) {}

  /** A volume found by its id, in its pool. */
  record Found(Pools.Pool pool, Volume volume) {}

  private Optional<Located> locate(String id) {
    requireId(id);
    return VolumeIds.parse(id).flatMap(ids -> pools.named(ids.pool()).map(pool -> new Located(pool, ids.name())));
  }

  /** The volume with this id; NOT_FOUND when there is none (or the id cannot be one of volumed's). */
  private CompletionStage<Found> found(String id) {
    Optional<Located> located = locate(id);
    if (located.isEmpty()) {
      throw Statuses.notFound("no volume " + id + " (volumed's ids are \"<pool>/<volume name>\")");
    }
    Pools.Pool pool = located.get().pool();
    return pools.<Ledger.GetReply>ask(pool, replyTo -> new PoolManager.Lookup(located.get().name(), replyTo))
        .thenApply(got -> {
          if (got instanceof Ledger.Refused refused) {
            throw Statuses.of(refused.code(), refused.message());
          }
          return new Found(pool, ((Ledger.Found) got).volume());
        });
  }

  private static void requireId(String id) {
    if (id.isEmpty()) {
      throw Statuses.invalid("volume_id is required");
    }
  }

  private static StatusRuntimeException pending(String message) {
    return Status.ABORTED.withDescription(message + "; an operation on this volume is pending, try again")
        .asRuntimeException();
  }
}

package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.util.concurrent.ListenableFuture;
import dev.volumed.csi.v1.CreateVolumeResponse;
import dev.volumed.csi.v1.GetCapacityRequest;
import dev.volumed.model.Sizes;
import dev.volumed.testing.VolumedProcess;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GetCapacity is the ledger's own figure and CreateVolume is admitted by the same ledger: two
 * placements can never spend the same bytes, however many arrive at once.
 */
class ControllerCapacityTest {
  private static final Map<String, String> FALLOCATE = Map.of("allocation", "fallocate", "fs", "none");

  @TempDir
  Path dir;

  @Test
  void sixteenConcurrentGibCreatesInAnEightGibPoolGiveEightVolumesAndEightResourceExhausted() throws Exception {
    Path pool = Files.createDirectories(dir.resolve("pool"));
    Assumptions.assumeTrue(Files.getFileStore(pool).getUsableSpace() > 10 * Sizes.GIB,
        "the 8 GiB of fallocated volumes need a disk with more than 10 GiB free under " + pool);
    Path socket = dir.resolve("volumed.sock");
    Path endpoint = dir.resolve("csi.sock");
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, "volumed {\n  socket.path = \"" + socket + "\"\n  pools { default = null, eight { path = \"" + pool
        + "\", capacity = \"8G\", reserved-percent = 0 } }\n  csi.endpoint = \"unix://" + endpoint + "\"\n}\n");
    try (VolumedProcess volumed = VolumedProcess.start(config, socket, dir.resolve("volumed.log"));
        ControllerTestClient csi = new ControllerTestClient(endpoint)) {
      assertCapacityIsThePoolsFigure(volumed, csi);
      LinkedBlockingQueue<ListenableFuture<CreateVolumeResponse>> replied = new LinkedBlockingQueue<>();
      List<ListenableFuture<CreateVolumeResponse>> creates = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        ListenableFuture<CreateVolumeResponse> create = csi.futures()
            .createVolume(ControllerTestClient.create("pvc-" + i, Sizes.GIB, FALLOCATE).build());
        create.addListener(() -> replied.add(create), Runnable::run);
        creates.add(create);
      }
      int made = 0;
      int exhausted = 0;
      for (int i = 0; i < 16; i++) {
        ListenableFuture<CreateVolumeResponse> reply = replied.poll(2, TimeUnit.MINUTES);
        try {
          assertEquals(Sizes.GIB, reply.get().getVolume().getCapacityBytes());
          made++;
        } catch (ExecutionException e) {
          assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(e.getCause()).getCode(), e.toString());
          exhausted++;
        }
        assertCapacityIsThePoolsFigure(volumed, csi);
      }
      assertEquals(8, made, "volumes made");
      assertEquals(8, exhausted, "RESOURCE_EXHAUSTED");
      assertEquals(0, fallocateFigure(volumed));
      assertEquals(0, csi.blocking().getCapacity(capacityRequest()).getAvailableCapacity());
    }
  }

  /**
   * GetCapacity equals the socket's pools figure whenever the books stand still around it (the
   * figure read the same before and after); creates still in flight may move it in between.
   */
  private static void assertCapacityIsThePoolsFigure(VolumedProcess volumed, ControllerTestClient csi) throws Exception {
    for (int attempt = 0; attempt < 100; attempt++) {
      long before = fallocateFigure(volumed);
      long capacity = csi.blocking().getCapacity(capacityRequest()).getAvailableCapacity();
      if (fallocateFigure(volumed) == before) {
        assertEquals(before, capacity, "GetCapacity against pools' availableForFallocateBytes");
        return;
      }
    }
    throw new AssertionError("the pool's figure never stood still over 100 readings");
  }

  private static GetCapacityRequest capacityRequest() {
    return GetCapacityRequest.newBuilder().putParameters("allocation", "fallocate").build();
  }

  private static long fallocateFigure(VolumedProcess volumed) throws Exception {
    return volumed.result("{\"op\":\"pools\"}").path("pools").get(0).path("availableForFallocateBytes").asLong(-1);
  }
}

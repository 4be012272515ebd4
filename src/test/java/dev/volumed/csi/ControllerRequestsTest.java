package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.csi.v1.CapacityRange;
import dev.volumed.csi.v1.ListVolumesResponse;
import dev.volumed.csi.v1.Volume;
import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.Sizes;
import dev.volumed.settings.PoolSettings;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The controller's rules that need no daemon: sizes, the pool a request means, capabilities, list pages. */
class ControllerRequestsTest {

  @Test
  void aRangeGivesWholeBlocksOrOutOfRange() {
    assertEquals(4096, CapacityRanges.size(range(1, 0)));
    assertEquals(8192, CapacityRanges.size(range(4097, 8192)));
    assertEquals(Sizes.GIB, CapacityRanges.size(CapacityRange.getDefaultInstance()));
    assertEquals(8192, CapacityRanges.size(range(0, 12000)));
    assertEquals(Status.Code.OUT_OF_RANGE, code(() -> CapacityRanges.size(range(4097, 4097))));
    assertEquals(Status.Code.OUT_OF_RANGE, code(() -> CapacityRanges.size(range(0, 4095))));
    assertEquals(Status.Code.OUT_OF_RANGE, code(() -> CapacityRanges.size(range(Long.MAX_VALUE, 0))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> CapacityRanges.size(range(0, -1))));
    assertTrue(CapacityRanges.fits(8192, range(4097, 0)));
    assertTrue(!CapacityRanges.fits(8192, range(0, 4096)));
  }

  @Test
  void withoutParameterPoolTheOnlyPoolThenDefaultElseInvalidArgument() {
    assertEquals("fast", Parameters.choose(Optional.empty(), pools("fast")).name());
    assertEquals("default", Parameters.choose(Optional.empty(), pools("a", "default", "z")).name());
    assertEquals("z", Parameters.choose(Optional.of("z"), pools("a", "default", "z")).name());
    StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
        () -> Parameters.choose(Optional.empty(), pools("a", "b")));
    assertEquals(Status.Code.INVALID_ARGUMENT, none.getStatus().getCode());
    assertTrue(none.getStatus().getDescription().contains("give parameter \"pool\""), none.toString());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> Parameters.choose(Optional.of("c"), pools("a", "b"))));
  }

  @Test
  void parametersAreReadOrRefusedByName() {
    Parameters read = Parameters.read(Map.of("fs", "xfs", "allocation", "full", "csi.storage.k8s.io/pv/name", "pv"),
        pools("default"));
    assertEquals(Optional.of(FileSystemType.XFS), read.fs());
    assertEquals(Allocation.FULL, read.allocationOrDefault());
    assertEquals(Allocation.SPARSE, Parameters.read(Map.of(), pools("default")).allocationOrDefault());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> Parameters.read(Map.of("Pool", "default"), pools("default"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> Parameters.read(Map.of("fs", "EXT4"), pools("default"))));
  }

  @Test
  void onlySingleNodeModesAndMountableFileSystemsAreHonoured() {
    for (VolumeCapability.AccessMode.Mode mode : VolumeCapability.AccessMode.Mode.values()) {
      if (mode == VolumeCapability.AccessMode.Mode.UNRECOGNIZED) {
        continue;
      }
      boolean single = mode.name().startsWith("SINGLE_NODE");
      String problem = Capabilities.problem(ControllerTestClient.block().toBuilder()
          .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode)).build());
      assertEquals(single, problem == null, mode + ": " + problem);
    }
    assertNotNull(Capabilities.problem(VolumeCapability.newBuilder().setAccessMode(
        ControllerTestClient.block().getAccessMode()).build()), "no access type");
    assertNotNull(Capabilities.problem(ControllerTestClient.mount("swap")));
    assertNotNull(Capabilities.problem(ControllerTestClient.mount("nfs")));
    assertNull(Capabilities.problem(ControllerTestClient.mount("ext4"), FileSystemType.EXT4));
    assertNotNull(Capabilities.problem(ControllerTestClient.mount("ext4"), FileSystemType.XFS));
    assertNotNull(Capabilities.problem(ControllerTestClient.mount(""), FileSystemType.NONE));
    assertNull(Capabilities.problem(ControllerTestClient.block(), FileSystemType.NONE));
    assertEquals(Optional.of(FileSystemType.NONE), Capabilities.fs(List.of(ControllerTestClient.block())));
    assertEquals(Optional.empty(), Capabilities.fs(List.of(ControllerTestClient.block(), ControllerTestClient.mount(""))));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> Capabilities.fs(List.of(ControllerTestClient.mount("ext4"),
        ControllerTestClient.mount("xfs")))));
  }

  @Test
  void aPageTokenGoesOnAfterItsIdEvenWhenThatVolumeIsGone() {
    VolumeListing listing = new VolumeListing();
    List<ListVolumesResponse.Entry> five = entries("p/a", "p/b", "p/c", "p/d", "p/e");
    ListVolumesResponse first = listing.page(five, 2, "");
    assertEquals(List.of("p/a", "p/b"), ids(first));
    List<ListVolumesResponse.Entry> withoutB = new ArrayList<>(five);
    withoutB.remove(1);
    ListVolumesResponse second = listing.page(withoutB, 2, first.getNextToken());
    assertEquals(List.of("p/c", "p/d"), ids(second));
    ListVolumesResponse last = listing.page(five, 2, second.getNextToken());
    assertEquals(List.of("p/e"), ids(last));
    assertEquals("", last.getNextToken());
    assertEquals(5, listing.page(five, 0, "").getEntriesCount());
  }

  @Test
  void aTokenThisProcessDidNotIssueIsAborted() {
    VolumeListing listing = new VolumeListing();
    String issued = listing.token("p/b");
    assertEquals("p/b", listing.lastId(issued));
    String forged = issued.substring(0, issued.indexOf('.') + 1) + "AAAA";
    for (String token : List.of("invalid-token", forged, new VolumeListing().token("p/b"), ".", "%%%.%%%")) {
      assertEquals(Status.Code.ABORTED, code(() -> listing.page(entries("p/a"), 0, token)), token);
    }
  }

  private static List<String> ids(ListVolumesResponse page) {
    return page.getEntriesList().stream().map(e -> e.getVolume().getVolumeId()).toList();
  }

  private static List<ListVolumesResponse.Entry> entries(String... ids) {
    return Arrays.stream(ids).map(id -> ListVolumesResponse.Entry.newBuilder()
        .setVolume(Volume.newBuilder().setVolumeId(id)).build()).toList();
  }

  /** Pools by these names, no managers: only the choice of a pool is asked of them. */
  private static Pools pools(String... names) {
    List<PoolSettings> settings = Arrays.stream(names).map(name -> new PoolSettings(name, Path.of("/srv", name),
        OptionalLong.empty(), 0, 4.0, Allocation.SPARSE, FileSystemType.EXT4, Set.of(), Optional.empty(),
        Optional.empty())).toList();
    return new Pools(null, settings, Map.of(), Duration.ofSeconds(1));
  }

  private static CapacityRange range(long required, long limit) {
    return CapacityRange.newBuilder().setRequiredBytes(required).setLimitBytes(limit).build();
  }

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }
}

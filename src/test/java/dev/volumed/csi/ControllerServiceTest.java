package dev.volumed.csi;

import static dev.volumed.csi.ControllerTestClient.block;
import static dev.volumed.csi.ControllerTestClient.create;
import static dev.volumed.csi.ControllerTestClient.failure;
import static dev.volumed.csi.ControllerTestClient.mount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.cli.VolumeCtlRun;
import dev.volumed.csi.v1.CapacityRange;
import dev.volumed.csi.v1.ControllerExpandVolumeRequest;
import dev.volumed.csi.v1.ControllerExpandVolumeResponse;
import dev.volumed.csi.v1.ControllerGetCapabilitiesRequest;
import dev.volumed.csi.v1.ControllerServiceCapability;
import dev.volumed.csi.v1.CreateVolumeRequest;
import dev.volumed.csi.v1.DeleteVolumeRequest;
import dev.volumed.csi.v1.GetCapacityRequest;
import dev.volumed.csi.v1.GetCapacityResponse;
import dev.volumed.csi.v1.ListVolumesRequest;
import dev.volumed.csi.v1.ListVolumesResponse;
import dev.volumed.csi.v1.Topology;
import dev.volumed.csi.v1.TopologyRequirement;
import dev.volumed.csi.v1.ValidateVolumeCapabilitiesRequest;
import dev.volumed.csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.volumed.csi.v1.Volume;
import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.csi.v1.VolumeContentSource;
import dev.volumed.model.Sizes;
import dev.volumed.testing.HeldOpen;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.MkfsCatcher;
import dev.volumed.testing.VolumedProcess;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CSI controller against a real volumed with two pools ("default" and "other"), through a
 * real gRPC client: what a CO sends, what it gets back, and that the socket's clients see the same
 * volumes.
 */
class ControllerServiceTest {
  private static final String NODE = "node-a";
  private static final String KEY = "csi.volumed.dev/host";
  private static final Map<String, String> NONE = Map.of("fs", "none");
  private static final long MIB = Sizes.MIB;
  private static final AtomicInteger NAMES = new AtomicInteger();

  @TempDir
  static Path dir;
  private static VolumedProcess volumed;
  private static ControllerTestClient csi;

  @BeforeAll
  static void start() throws Exception {
    Path socket = dir.resolve("volumed.sock");
    Path endpoint = dir.resolve("csi.sock");
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, "volumed {\n  socket.path = \"" + socket + "\"\n  pools {\n    default { path = \""
        + Files.createDirectories(dir.resolve("default")) + "\" }\n    other { path = \""
        + Files.createDirectories(dir.resolve("other")) + "\", default-fs = ext3 }\n  }\n  csi {\n    endpoint = \"unix://"
        + endpoint + "\"\n    node-id = \"" + NODE + "\"\n  }\n}\n");
    volumed = VolumedProcess.start(config, socket, dir.resolve("volumed.log"));
    csi = new ControllerTestClient(endpoint);
  }

  @AfterAll
  static void stop() throws Exception {
    if (csi != null) {
      csi.close();
    }
    if (volumed != null) {
      volumed.close();
    }
  }

  private static String fresh(String prefix) {
    return prefix + "-" + NAMES.incrementAndGet();
  }

  private static Volume made(CreateVolumeRequest.Builder request) {
    return csi.blocking().createVolume(request.build()).getVolume();
  }

  @Test
  void claimsCreateDeleteListCapacityAndExpandOnly() {
    List<ControllerServiceCapability.RPC.Type> types = csi.blocking()
        .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList().stream()
        .map(c -> c.getRpc().getType()).toList();
    assertEquals(List.of(ControllerServiceCapability.RPC.Type.CREATE_DELETE_VOLUME,
        ControllerServiceCapability.RPC.Type.LIST_VOLUMES, ControllerServiceCapability.RPC.Type.GET_CAPACITY,
        ControllerServiceCapability.RPC.Type.EXPAND_VOLUME), types);
  }

  @Test
  void aVolumeMadeOverCsiIsListedByVolumectlAndOneMadeOnTheSocketByListVolumes() throws Exception {
    String overCsi = "pvc-" + java.util.UUID.randomUUID();
    Volume volume = made(create(overCsi, 8 * MIB, NONE));
    assertEquals("default/" + overCsi, volume.getVolumeId());
    VolumeCtlRun list = VolumeCtlRun.against(volumed.socket(), "list");
    assertEquals(0, list.exit(), list.describe());
    assertTrue(list.out().contains(overCsi), list.describe());

    String onSocket = fresh("vm") + "/root.img";
    volumed.result("{\"op\":\"create\",\"pool\":\"other\",\"name\":\"" + onSocket + "\",\"size\":\"4M\",\"fs\":\"none\"}");
    Volume listed = allVolumes().stream().filter(v -> v.getVolumeId().equals("other/" + onSocket)).findFirst()
        .orElseThrow(() -> new AssertionError("other/" + onSocket + " not in " + allVolumes()));
    assertEquals(4 * MIB, listed.getCapacityBytes());
    assertEquals(Map.of(KEY, NODE), listed.getAccessibleTopology(0).getSegmentsMap());
    assertEquals(Map.of("pool", "other", "fs", "none", "allocation", "sparse"), listed.getVolumeContextMap());
  }

  @Test
  void aRepeatedCreateOfTheSameVolumeGivesItAgainAndADifferentOneIsAlreadyExists() {
    String name = fresh("twice");
    Volume first = made(create(name, 8 * MIB, NONE));
    assertEquals(first, made(create(name, 8 * MIB, NONE)));
    // Any range the existing size fits is the same volume; required_bytes rounds up to 4096.
    assertEquals(first, made(create(name, 8 * MIB - 100, NONE)));
    assertEquals(first, made(create(name, MIB, NONE).setCapacityRange(range(MIB, 16 * MIB))));

    assertEquals(Status.Code.ALREADY_EXISTS, failure(() -> made(create(name, 16 * MIB, NONE))).getCode());
    assertEquals(Status.Code.ALREADY_EXISTS,
        failure(() -> made(create(name, MIB, NONE).setCapacityRange(range(MIB, 4 * MIB)))).getCode());
    assertEquals(Status.Code.ALREADY_EXISTS, failure(() -> made(create(name, 8 * MIB, Map.of("fs", "ext4"))
        .clearVolumeCapabilities().addVolumeCapabilities(mount("")))).getCode());
    assertEquals(Status.Code.ALREADY_EXISTS,
        failure(() -> made(create(name, 8 * MIB, Map.of("fs", "none", "allocation", "fallocate")))).getCode());
  }

  @Test
  void aCreateOfAVolumeStillBeingMadeIsAbortedUntilItIsMade() throws Exception {
    String name = fresh("pending");
    CreateVolumeRequest request = create(name, Sizes.GIB, Map.of("fs", "ext4")).clearVolumeCapabilities()
        .addVolumeCapabilities(mount("")).build();
    // The socket's create, its mkfs made slow (a 512 MiB orphan file) so it is caught and held by SIGSTOP.
    try (MkfsCatcher catcher = MkfsCatcher.watch(dir.resolve("default")); LineClient client = volumed.connect()) {
      client.send("{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"1G\",\"fs\":\"ext4\","
          + "\"mkfsArgs\":[\"-O\",\"orphan_file\",\"-E\",\"orphan_file_size=512M\"]}");
      catcher.awaitStopped(Duration.ofMinutes(1));
      Status again = failure(() -> csi.blocking().createVolume(request));
      assertEquals(Status.Code.ABORTED, again.getCode());
      assertTrue(again.getDescription().contains("pending"), again.toString());
      assertFalse(allVolumes().stream().anyMatch(v -> v.getVolumeId().equals("default/" + name)),
          "ListVolumes shows only ready volumes");
      assertEquals(Status.Code.ABORTED, failure(() -> expand("default/" + name, 2 * Sizes.GIB)).getCode());
      catcher.resume();
      JsonNode made = client.read(Duration.ofMinutes(1));
      assertTrue(made.path("ok").asBoolean(), made.toString());
      assertEquals("default/" + name, csi.blocking().createVolume(request).getVolume().getVolumeId());
    }
  }

  @Test
  void sizesRoundUpToWholeBlocksAndAnImpossibleRangeIsOutOfRange() {
    assertEquals(8192, made(create(fresh("round"), 4097, NONE)).getCapacityBytes());
    assertEquals(Sizes.GIB, made(create(fresh("default-size"), 0, NONE).clearCapacityRange()).getCapacityBytes());
    assertEquals(64 * MIB, made(create(fresh("under-limit"), 0, NONE).setCapacityRange(range(0, 64 * MIB)))
        .getCapacityBytes());
    assertEquals(Status.Code.OUT_OF_RANGE,
        failure(() -> made(create(fresh("range"), 4097, NONE).setCapacityRange(range(4097, 5000)))).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT,
        failure(() -> made(create(fresh("negative"), 0, NONE).setCapacityRange(range(-1, 0)))).getCode());
  }

  @Test
  void badCreatesAreInvalidArgumentWithTheReason() {
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> made(create("", MIB, NONE))).getCode());
    Status badName = failure(() -> made(create("../escape", MIB, NONE)));
    assertEquals(Status.Code.INVALID_ARGUMENT, badName.getCode());
    assertTrue(badName.getDescription().contains("segment"), badName.toString());
    assertEquals(Status.Code.INVALID_ARGUMENT,
        failure(() -> made(create(fresh("nocaps"), MIB, NONE).clearVolumeCapabilities())).getCode());
    VolumeCapability multiNode = block().toBuilder().setAccessMode(VolumeCapability.AccessMode.newBuilder()
        .setMode(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER)).build();
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> made(create(fresh("multi"), MIB, NONE)
        .clearVolumeCapabilities().addVolumeCapabilities(multiNode))).getCode());
    Status unknownKey = failure(() -> made(create(fresh("key"), MIB, Map.of("fstype", "ext4"))));
    assertEquals(Status.Code.INVALID_ARGUMENT, unknownKey.getCode());
    assertTrue(unknownKey.getDescription().contains("fstype"), unknownKey.toString());
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> made(create(fresh("pool"), MIB, Map.of("pool", "nope"))))
        .getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> made(create(fresh("fs"), MIB, Map.of("fs", "zfs"))))
        .getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT,
        failure(() -> made(create(fresh("alloc"), MIB, Map.of("fs", "none", "allocation", "thick")))).getCode());
    // A raw image cannot be mounted; a mount fs_type must agree with parameter fs.
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> made(create(fresh("raw-mount"), MIB, NONE)
        .clearVolumeCapabilities().addVolumeCapabilities(mount("")))).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> made(create(fresh("two-fs"), MIB, Map.of("fs", "ext4"))
        .clearVolumeCapabilities().addVolumeCapabilities(mount("xfs")))).getCode());
    Status source = failure(() -> made(create(fresh("clone"), MIB, NONE).setVolumeContentSource(VolumeContentSource
        .newBuilder().setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId("default/x")))));
    assertEquals(Status.Code.INVALID_ARGUMENT, source.getCode());
    assertTrue(source.getDescription().contains("volume_content_source"), source.toString());
  }

  @Test
  void theFsComesFromParametersThenTheMountThenBlockThenThePool() {
    assertEquals("ext2", made(create(fresh("mount-ext2"), 16 * MIB, Map.of()).clearVolumeCapabilities()
        .addVolumeCapabilities(mount("ext2"))).getVolumeContextMap().get("fs"));
    assertEquals("none", made(create(fresh("block"), MIB, Map.of())).getVolumeContextMap().get("fs"));
    Volume inOther = made(create(fresh("pool-default"), 16 * MIB, Map.of("pool", "other")).clearVolumeCapabilities()
        .addVolumeCapabilities(mount("")));
    assertEquals("ext3", inOther.getVolumeContextMap().get("fs"));
    assertTrue(inOther.getVolumeId().startsWith("other/"), inOther.toString());
    // csi-provisioner's own parameters are let through.
    made(create(fresh("pvc"), MIB, Map.of("fs", "none", "csi.storage.k8s.io/pvc/name", "data")));
  }

  @Test
  void aVolumeCanOnlyBeMadeWhereTopologyAllowsThisNode() {
    Topology here = Topology.newBuilder().putSegments(KEY, NODE).build();
    Topology there = Topology.newBuilder().putSegments(KEY, "node-b").build();
    Volume volume = made(create(fresh("here"), MIB, NONE).setAccessibilityRequirements(
        TopologyRequirement.newBuilder().addRequisite(there).addRequisite(here).addPreferred(here)));
    assertEquals(List.of(here), volume.getAccessibleTopologyList());
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, failure(() -> made(create(fresh("there"), MIB, NONE)
        .setAccessibilityRequirements(TopologyRequirement.newBuilder().addRequisite(there)))).getCode());
    assertEquals(0, csi.blocking().getCapacity(GetCapacityRequest.newBuilder().setAccessibleTopology(there).build())
        .getAvailableCapacity());
  }

  @Test
  void getCapacityIsThePoolsSparseOrFallocateFigure() throws Exception {
    JsonNode pool = poolFigures("other");
    GetCapacityResponse sparseReply = csi.blocking().getCapacity(GetCapacityRequest.newBuilder()
        .putParameters("pool", "other").build());
    long sparse = sparseReply.getAvailableCapacity();
    assertEquals(sparse / 4096 * 4096, sparseReply.getMaximumVolumeSize().getValue());
    long fallocate = csi.blocking().getCapacity(GetCapacityRequest.newBuilder().putParameters("pool", "other")
        .putParameters("allocation", "full").build()).getAvailableCapacity();
    assertEquals(pool.path("availableForSparseBytes").asLong(), sparse);
    assertEquals(pool.path("availableForFallocateBytes").asLong(), fallocate);
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> csi.blocking().getCapacity(GetCapacityRequest.newBuilder()
        .putParameters("size", "1G").build())).getCode());
  }

  @Test
  void deleteIsIdempotentAndRefusesAVolumeInUse() throws Exception {
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> delete("")).getCode());
    delete("not-an-id");
    delete("no-such-pool/x");
    delete("default/never-made");
    String name = fresh("held");
    Volume volume = made(create(name, MIB, NONE));
    try (HeldOpen held = HeldOpen.descriptor(dir.resolve("default").resolve(name))) {
      assertEquals(Status.Code.FAILED_PRECONDITION, failure(() -> delete(volume.getVolumeId())).getCode());
    }
    delete(volume.getVolumeId());
    delete(volume.getVolumeId());
    assertFalse(Files.exists(dir.resolve("default").resolve(name)));
  }

  @Test
  void validateConfirmsOnlyWhatTheVolumeCanDo() {
    Volume raw = made(create(fresh("validate"), MIB, NONE));
    assertTrue(validate(raw.getVolumeId(), block()).hasConfirmed());
    ValidateVolumeCapabilitiesResponse mounted = validate(raw.getVolumeId(), mount(""));
    assertFalse(mounted.hasConfirmed());
    assertTrue(mounted.getMessage().contains("cannot be mounted"), mounted.toString());
    assertEquals(Status.Code.NOT_FOUND, failure(() -> validate("default/never-made", block())).getCode());
    assertEquals(Status.Code.NOT_FOUND, failure(() -> validate("fake-vol-id", block())).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> validate("", block())).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> csi.blocking().validateVolumeCapabilities(
        ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(raw.getVolumeId()).build())).getCode());
  }

  @Test
  void listVolumesPagesInIdOrderWithTokensOnlyItIssued() {
    for (int i = 0; i < 5; i++) {
      made(create(fresh("page"), MIB, NONE));
    }
    List<String> all = allVolumes().stream().map(Volume::getVolumeId).toList();
    assertEquals(all.stream().sorted().toList(), all);
    List<String> paged = new ArrayList<>();
    String token = "";
    do {
      ListVolumesResponse page = csi.blocking().listVolumes(ListVolumesRequest.newBuilder().setMaxEntries(2)
          .setStartingToken(token).build());
      assertTrue(page.getEntriesCount() <= 2, page.toString());
      page.getEntriesList().forEach(entry -> paged.add(entry.getVolume().getVolumeId()));
      token = page.getNextToken();
    } while (!token.isEmpty());
    assertEquals(all, paged);
    assertEquals(Status.Code.ABORTED, failure(() -> csi.blocking().listVolumes(ListVolumesRequest.newBuilder()
        .setStartingToken("invalid-token").build())).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> csi.blocking().listVolumes(ListVolumesRequest.newBuilder()
        .setMaxEntries(-1).build())).getCode());
  }

  @Test
  void expandGrowsTheVolumeAndASmallerSizeIsNothingToDo() throws Exception {
    String name = fresh("grow");
    Volume volume = made(create(name, 64 * MIB, Map.of("fs", "ext4")).clearVolumeCapabilities()
        .addVolumeCapabilities(mount("")));
    ControllerExpandVolumeResponse grown = expand(volume.getVolumeId(), 96 * MIB - 1);
    assertEquals(96 * MIB, grown.getCapacityBytes());
    assertFalse(grown.getNodeExpansionRequired());
    assertEquals(96 * MIB, volumed.result("{\"op\":\"get\",\"name\":\"" + name + "\"}").path("size").asLong());
    assertEquals(96 * MIB, expand(volume.getVolumeId(), 32 * MIB).getCapacityBytes());
    assertEquals(Status.Code.NOT_FOUND, failure(() -> expand("default/never-made", MIB)).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> expand("", MIB)).getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(() -> csi.blocking().controllerExpandVolume(
        ControllerExpandVolumeRequest.newBuilder().setVolumeId(volume.getVolumeId()).build())).getCode());
    try (HeldOpen held = HeldOpen.descriptor(dir.resolve("default").resolve(name))) {
      assertEquals(Status.Code.FAILED_PRECONDITION, failure(() -> expand(volume.getVolumeId(), 128 * MIB)).getCode());
    }
  }

  private static List<Volume> allVolumes() {
    return csi.blocking().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
        .map(ListVolumesResponse.Entry::getVolume).toList();
  }

  private static JsonNode poolFigures(String name) throws Exception {
    for (JsonNode pool : volumed.result("{\"op\":\"pools\"}").path("pools")) {
      if (pool.path("name").asText().equals(name)) {
        return pool;
      }
    }
    throw new AssertionError("no pool " + name);
  }

  private static Object delete(String id) {
    return csi.blocking().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
  }

  private static ValidateVolumeCapabilitiesResponse validate(String id, VolumeCapability capability) {
    return csi.blocking().validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(id)
        .addVolumeCapabilities(capability).build());
  }

  private static ControllerExpandVolumeResponse expand(String id, long bytes) {
    return csi.blocking().controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder().setVolumeId(id)
        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes)).build());
  }

  private static CapacityRange range(long required, long limit) {
    return CapacityRange.newBuilder().setRequiredBytes(required).setLimitBytes(limit).build();
  }
}

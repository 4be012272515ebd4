package dev.volumed.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.csi.v1.VolumeCapability;
import dev.volumed.testing.CsiClient;
import dev.volumed.testing.Guest;
import dev.volumed.testing.HostMounts;
import dev.volumed.testing.LineClient;
import dev.volumed.testing.Tools;
import dev.volumed.testing.VolumedProcess;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stage never shares an image with a change in place: while a resize started over volumed's socket
 * is writing, NodeStageVolume is UNAVAILABLE and leaves no loop device or mount behind.
 */
class NodeStageRaceTest {
  @TempDir
  Path dir;

  @Test
  void aVolumeBeingResizedIsNotStagedAndNothingIsLeftAttached() throws Exception {
    Guest.assumeRoot();
    Tools.assumeInstalled("mkfs.ext4", "resize2fs", "setpriv", "mount");
    Path config = NodeDaemons.config(dir);
    // A full volume's growth is written as zeros, here at 1 MiB/s: the resize lasts a minute.
    Files.writeString(config, Files.readString(config) + "volumed.io.max-write-bytes-per-second = \"1M\"\n");
    try (VolumedProcess volumed = VolumedProcess.start(config, dir.resolve("volumed.sock"), dir.resolve("volumed.log"));
        CsiClient csi = CsiClient.connect(dir.resolve("csi.sock"), volumed.pid());
        LineClient resizing = volumed.connect()) {
      volumed.result("{\"op\":\"create\",\"name\":\"grow.img\",\"size\":\"16M\",\"fs\":\"ext4\",\"allocation\":\"full\"}");
      resizing.send("{\"id\":1,\"op\":\"resize\",\"name\":\"grow.img\",\"size\":\"80M\",\"progress\":true}");
      JsonNode first = resizing.read(Duration.ofSeconds(30));
      assertEquals("progress", first.path("event").asText(), "the resize is under way: " + first);

      Path staging = Files.createDirectories(dir.resolve("node/stage"));
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> csi.node().nodeStageVolume(NodeServiceTest.stage("grow.img", staging, NodeServiceTest.mount("ext4"),
              NodeServiceTest.mode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))));
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
      assertTrue(refused.getStatus().getDescription().contains("being resized"), refused.toString());
      assertEquals(List.of(), HostMounts.under(staging));
      assertEquals(List.of(), HostMounts.loopsOf(dir.resolve("pool/grow.img")));
    } finally {
      HostMounts.cleanUp(dir.resolve("node"), dir.resolve("pool"));
    }
  }
}

package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.HeldOpen;
import dev.volumed.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A volume a running VM holds (an open descriptor, a loop device) is not pulled from under it. */
class InUseTest {
  @TempDir Path dir;
  private TestDaemon daemon;

  @BeforeEach
  void start() throws Exception {
    daemon = TestDaemon.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    daemon.close();
  }

  @Test
  void deleteOfAVolumeHeldOpenByAnotherProcessIsBusyNamingItAndChangesNothing() throws Exception {
    Path image = create("vm1/var.img", "fallocate");
    JsonNode before = books();
    try (HeldOpen vm = HeldOpen.descriptor(image)) {
      JsonNode got = daemon.request("{\"op\":\"get\",\"name\":\"vm1/var.img\"}");
      assertEquals("[{\"pid\":" + vm.pid() + ",\"command\":\"python3\"}]",
          got.path("result").path("holders").toString(), got.toString());

      JsonNode refused = daemon.request("{\"op\":\"delete\",\"name\":\"vm1/var.img\"}");
      assertEquals("BUSY", refused.path("error").path("code").asText(), refused.toString());
      assertTrue(refused.path("error").path("message").asText().contains("pid " + vm.pid() + " (python3)"),
          refused.toString());
      assertEquals(vm.pid(), refused.path("error").path("details").path("holders").get(0).path("pid").asLong());
      assertTrue(Files.isRegularFile(image));
      assertEquals(before, books());
      assertEquals("ready", daemon.request("{\"op\":\"get\",\"name\":\"vm1/var.img\"}").path("result")
          .path("state").asText());
    }
    assertEquals("[]", daemon.request("{\"op\":\"get\",\"name\":\"vm1/var.img\"}").path("result")
        .path("holders").toString());
    JsonNode deleted = daemon.request("{\"op\":\"delete\",\"name\":\"vm1/var.img\"}");
    assertTrue(deleted.path("ok").asBoolean(), deleted.toString());
    assertTrue(Files.notExists(image));
  }

  @Test
  void deleteOfAVolumeBackingALoopDeviceIsBusyNamingTheDevice() throws Exception {
    Assumptions.assumeTrue(isRoot(), "needs root to attach a loop device");
    Path image = create("vm2/root.img", "sparse");
    JsonNode before = books();
    try (HeldOpen loop = HeldOpen.loopDevice(image)) {
      JsonNode refused = daemon.request("{\"op\":\"delete\",\"name\":\"vm2/root.img\"}");
      assertEquals("BUSY", refused.path("error").path("code").asText(), refused.toString());
      assertTrue(refused.path("error").path("message").asText().contains(loop.device()), refused.toString());
      assertEquals("{\"device\":\"" + loop.device() + "\"}",
          refused.path("error").path("details").path("holders").get(0).toString());
      assertEquals("[{\"device\":\"" + loop.device() + "\"}]", daemon.request(
          "{\"op\":\"get\",\"name\":\"vm2/root.img\"}").path("result").path("holders").toString());
      JsonNode full = daemon.request("{\"op\":\"preallocate\",\"name\":\"vm2/root.img\",\"mode\":\"full\"}");
      assertEquals("BUSY", full.path("error").path("code").asText(), full.toString());
      assertTrue(full.path("error").path("message").asText().contains(loop.device()), full.toString());
      assertTrue(Files.isRegularFile(image));
      assertEquals(before, books());
    }
    assertTrue(daemon.request("{\"op\":\"delete\",\"name\":\"vm2/root.img\"}").path("ok").asBoolean());
  }

  @Test
  void resizeAndReclaimOfAVolumeHeldOpenByAnotherProcessAreBusyNamingItAndChangeNothing() throws Exception {
    Path image = create("vm3/data.img", "sparse");
    JsonNode before = books();
    byte[] bytes = Files.readAllBytes(image);
    try (HeldOpen vm = HeldOpen.descriptor(image)) {
      for (JsonNode refused : resizeAndReclaim("vm3/data.img")) {
        assertEquals("BUSY", refused.path("error").path("code").asText(), refused.toString());
        assertTrue(refused.path("error").path("message").asText().contains("pid " + vm.pid() + " (python3)"),
            refused.toString());
        assertEquals(vm.pid(), refused.path("error").path("details").path("holders").get(0).path("pid").asLong());
      }
      assertUnchanged(image, bytes, before, "vm3/data.img");
    }
    JsonNode resized = daemon.request("{\"op\":\"resize\",\"name\":\"vm3/data.img\",\"size\":\"32M\"}");
    assertTrue(resized.path("ok").asBoolean(), resized.toString());
  }

  @Test
  void resizeAndReclaimOfAVolumeBackingALoopDeviceAreBusyNamingTheDeviceAndChangeNothing() throws Exception {
    Assumptions.assumeTrue(isRoot(), "needs root to attach a loop device");
    Path image = create("vm4/data.img", "sparse");
    JsonNode before = books();
    byte[] bytes = Files.readAllBytes(image);
    try (HeldOpen loop = HeldOpen.loopDevice(image)) {
      for (JsonNode refused : resizeAndReclaim("vm4/data.img")) {
        assertEquals("BUSY", refused.path("error").path("code").asText(), refused.toString());
        assertTrue(refused.path("error").path("message").asText().contains(loop.device()), refused.toString());
        assertEquals("{\"device\":\"" + loop.device() + "\"}",
            refused.path("error").path("details").path("holders").get(0).toString());
      }
      assertUnchanged(image, bytes, before, "vm4/data.img");
    }
  }

  private List<JsonNode> resizeAndReclaim(String name) throws Exception {
    return List.of(daemon.request("{\"op\":\"resize\",\"name\":\"" + name + "\",\"size\":\"32M\"}"),
        daemon.request("{\"op\":\"reclaim\",\"name\":\"" + name + "\"}"));
  }

  /** The image byte for byte, the books, and the volume as get tells it (16 MiB, ready) as they were. */
  private void assertUnchanged(Path image, byte[] bytes, JsonNode books, String name) throws Exception {
    assertArrayEquals(bytes, Files.readAllBytes(image));
    assertEquals(books, books());
    JsonNode got = daemon.request("{\"op\":\"get\",\"name\":\"" + name + "\"}").path("result");
    assertEquals(16L << 20, got.path("size").asLong(), got.toString());
    assertEquals("ready", got.path("state").asText(), got.toString());
  }

  private Path create(String name, String allocation) throws Exception {
    JsonNode made = daemon.request("{\"op\":\"create\",\"name\":\"" + name + "\",\"size\":\"16M\",\"fs\":\"none\","
        + "\"allocation\":\"" + allocation + "\"}");
    assertTrue(made.path("ok").asBoolean(), made.toString());
    return Paths.get(made.path("result").path("path").asText());
  }

  /** The pool's books without the measured figures that move on their own. */
  private JsonNode books() throws Exception {
    JsonNode pool = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0).deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) pool).remove("filesystemFreeBytes");
    ((com.fasterxml.jackson.databind.node.ObjectNode) pool).remove("availableForFallocateBytes");
    return pool;
  }

  private static boolean isRoot() throws Exception {
    return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }
}

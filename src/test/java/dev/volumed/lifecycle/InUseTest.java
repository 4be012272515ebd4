package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.HeldOpen;
import dev.volumed.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
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

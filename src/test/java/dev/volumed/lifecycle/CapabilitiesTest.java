package dev.volumed.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.TestDaemon;
import dev.volumed.testing.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each pool's file system is probed at start-up; pools shows what it can do, and a request for
 * what it cannot is UNSUPPORTED at admission, naming what it can. Real tmpfs and loop mounts (root).
 */
class CapabilitiesTest {
  @TempDir Path dir;
  private Path mnt;

  @AfterEach
  void unmount() throws Exception {
    if (mnt != null) {
      run("umount", mnt.toString());
    }
  }

  @Test
  void tmpfsHasHolesAndFallocateButNoReflinkOrNocow() throws Exception {
    mount("tmpfs", null);
    try (TestDaemon daemon = daemon()) {
      assertEquals("{\"holes\":true,\"fallocate\":true,\"reflink\":false,\"nocow\":false}", capabilities(daemon));
      assertNoScratchLeft();
    }
  }

  @Test
  void ext2HasNoFallocateSoFallocateIsRefusedAtAdmissionAndFullStillWorks() throws Exception {
    Tools.assumeInstalled("mkfs.ext2");
    mount("ext2", List.of("mkfs.ext2", "-F", "-q"));
    try (TestDaemon daemon = daemon()) {
      assertEquals("{\"holes\":true,\"fallocate\":false,\"reflink\":false,\"nocow\":false}", capabilities(daemon));
      JsonNode before = books(daemon);
      JsonNode create = daemon.request("{\"op\":\"create\",\"name\":\"f.img\",\"size\":\"8M\",\"fs\":\"none\","
          + "\"allocation\":\"fallocate\"}");
      assertEquals("UNSUPPORTED", create.path("error").path("code").asText(), create.toString());
      assertTrue(create.path("error").path("message").asText().contains("\"sparse\" or \"full\""), create.toString());
      JsonNode batch = daemon.request("{\"op\":\"batch\",\"volumes\":[{\"name\":\"b.img\",\"size\":\"8M\",\"fs\":\"none\","
          + "\"allocation\":\"fallocate\"}]}");
      assertEquals("UNSUPPORTED", batch.path("error").path("code").asText(), batch.toString());
      assertEquals(before, books(daemon));
      assertTrue(daemon.request("{\"op\":\"create\",\"name\":\"s.img\",\"size\":\"8M\",\"fs\":\"none\"}").path("ok")
          .asBoolean());
      JsonNode preallocate = daemon.request("{\"op\":\"preallocate\",\"name\":\"s.img\",\"mode\":\"fallocate\"}");
      assertEquals("UNSUPPORTED", preallocate.path("error").path("code").asText(), preallocate.toString());
      JsonNode full = daemon.request("{\"op\":\"preallocate\",\"name\":\"s.img\",\"mode\":\"full\"}");
      assertEquals("full", full.path("result").path("allocation").asText(), full.toString());
      assertTrue(Images.allocated(mnt.resolve("pool/s.img")) >= 8 << 20);
      assertNoScratchLeft();
    }
  }

  @Test
  void vfatHasNoHolesSoSparseIsRefusedAtAdmission() throws Exception {
    Tools.assumeInstalled("mkfs.vfat");
    mount("vfat", List.of("mkfs.vfat"));
    try (TestDaemon daemon = daemon()) {
      JsonNode caps = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0).path("capabilities");
      assertEquals(false, caps.path("holes").asBoolean(), caps.toString());
      JsonNode create = daemon.request("{\"op\":\"create\",\"name\":\"s.img\",\"size\":\"8M\",\"fs\":\"none\","
          + "\"allocation\":\"sparse\"}");
      assertEquals("UNSUPPORTED", create.path("error").path("code").asText(), create.toString());
      assertTrue(create.path("error").path("message").asText().contains("holes"), create.toString());
      assertTrue(create.path("error").path("message").asText().contains("\"full\""), create.toString());
      assertNoScratchLeft();
    }
  }

  @Test
  void btrfsCanReflinkAndKeepNocow() throws Exception {
    Tools.assumeInstalled("mkfs.btrfs");
    mount("btrfs", List.of("mkfs.btrfs", "-f", "-q"));
    try (TestDaemon daemon = daemon()) {
      assertEquals("{\"holes\":true,\"fallocate\":true,\"reflink\":true,\"nocow\":true}", capabilities(daemon));
      assertNoScratchLeft();
    }
  }

  /** A fresh file system of this type at mnt: tmpfs, or an image made by mkfs and loop-mounted. */
  private void mount(String type, List<String> mkfs) throws Exception {
    Assumptions.assumeTrue(isRoot(), "needs root to mount " + type);
    Path target = Files.createDirectory(dir.resolve("mnt"));
    if (mkfs == null) {
      assertEquals(0, run("mount", "-t", "tmpfs", "-o", "size=64M", "tmpfs", target.toString()));
    } else {
      Path image = dir.resolve(type + ".img");
      assertEquals(0, run("truncate", "-s", "160M", image.toString()));
      List<String> argv = new java.util.ArrayList<>(mkfs);
      argv.add(image.toString());
      assertEquals(0, run(argv.toArray(String[]::new)));
      Assumptions.assumeTrue(run("mount", "-o", "loop", image.toString(), target.toString()) == 0,
          "mount -o loop of a " + type + " image failed (no loop devices, or no " + type + " in this kernel)");
    }
    mnt = target;
  }

  private TestDaemon daemon() throws Exception {
    return TestDaemon.start(dir, "volumed.pools.default.path = \"" + mnt.resolve("pool") + "\"");
  }

  private static String capabilities(TestDaemon daemon) throws Exception {
    return daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0).path("capabilities").toString();
  }

  private static JsonNode books(TestDaemon daemon) throws Exception {
    JsonNode pool = daemon.request("{\"op\":\"pools\"}").path("result").path("pools").get(0);
    return ((com.fasterxml.jackson.databind.node.ObjectNode) pool.deepCopy())
        .retain(List.of("committedBytes", "provisionedBytes", "allocatedBytes"));
  }

  /** The probe's scratch files are gone: nothing under the pool is named as unfinished work. */
  private void assertNoScratchLeft() throws Exception {
    try (Stream<Path> walk = Files.walk(mnt.resolve("pool"))) {
      assertEquals(List.of(), walk.filter(p -> p.getFileName().toString().contains(".volumed-tmp-")).toList());
    }
  }

  private static int run(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    if (exit != 0) {
      System.err.println(String.join(" ", argv) + ": " + out);
    }
    return exit;
  }

  private static boolean isRoot() throws Exception {
    return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }
}

package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MicroVmVolumesTest {

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text);
  }

  private static MicroVmVolumes.Plan plan(String text, String prefix) throws Exception {
    return MicroVmVolumes.plan(json(text), prefix);
  }

  private static InputException refused(String text) {
    return assertThrows(InputException.class, () -> plan(text, ""));
  }

  @Test
  void mapsEveryFieldVolumedUsesAndDropsTheImageDirectory() throws Exception {
    MicroVmVolumes.Plan plan = plan("""
        [{"image": "/var/lib/microvms/vm1/var.img", "size": 8192, "fsType": "ext4", "label": "var",
          "mkfsExtraArgs": ["-E", "lazy_itable_init=1"], "autoCreate": true, "mountPoint": "/var",
          "serial": "v", "direct": true, "readOnly": false, "imageType": "raw"}]
        """, "vm1/");
    assertEquals(json("""
        [{"name": "vm1/var.img", "size": "8192M", "fs": "ext4", "label": "var",
          "mkfsArgs": ["-E", "lazy_itable_init=1"], "allocation": "sparse"}]
        """), plan.volumes());
    assertEquals("/var/lib/microvms/vm1/var.img", plan.create().get(0).image());
  }

  @Test
  void appliesMicroVmNixDefaultsAndLeavesOutWhatIsEmpty() throws Exception {
    assertEquals(json("[{\"name\": \"store.img\", \"size\": \"512M\", \"fs\": \"ext4\", \"allocation\": \"sparse\"}]"),
        plan("[{\"image\": \"store.img\", \"size\": 512, \"label\": null, \"mkfsExtraArgs\": []}]", "").volumes());
  }

  @Test
  void skipsVolumesWithoutAutoCreateAndNeedsNoSizeForThem() throws Exception {
    MicroVmVolumes.Plan plan = plan("""
        [{"image": "a.img", "size": 64, "autoCreate": true},
         {"image": "/dev/disk/by-id/data", "autoCreate": false},
         {"image": "b.img", "size": 64}]
        """, "p-");
    assertEquals(List.of("p-a.img", "p-b.img"), plan.create().stream().map(m -> m.volume().get("name").asText()).toList());
    assertEquals(List.of("/dev/disk/by-id/data"), plan.skipped());
  }

  @Test
  void passesAnUnknownFileSystemThroughForVolumedToRefuse() throws Exception {
    assertEquals("zfs", plan("[{\"image\": \"z.img\", \"size\": 64, \"fsType\": \"zfs\"}]", "").volumes()
        .get(0).get("fs").asText());
  }

  @Test
  void refusesWhatIsNotAMicroVmVolumeList() {
    assertTrue(refused("{\"image\": \"a.img\"}").getMessage().contains("expected a JSON array"));
    assertTrue(refused("[\"a.img\"]").getMessage().contains("volumes[0] is a string"));
    assertTrue(refused("[{\"size\": 64}]").getMessage().contains("no \"image\""));
    assertTrue(refused("[{\"image\": \"a.img\"}]").getMessage().contains("has no \"size\""));
    assertTrue(refused("[{\"image\": \"a.img\", \"size\": \"64M\"}]").getMessage().contains("whole number of MiB"));
    assertTrue(refused("[{\"image\": \"a.img\", \"size\": 0}]").getMessage().contains("positive"));
    assertTrue(refused("[{\"image\": \"a.img\", \"size\": 1.5}]").getMessage().contains("whole number"));
    assertTrue(refused("[{\"image\": \"a.img\", \"size\": 64, \"autoCreate\": \"yes\"}]").getMessage()
        .contains("true or false"));
    assertTrue(refused("[{\"image\": \"a.img\", \"size\": 64, \"mkfsExtraArgs\": \"-m crc=1\"}]").getMessage()
        .contains("list of strings"));
    assertTrue(refused("[{\"image\": \"a.img\", \"size\": 64, \"label\": 7}]").getMessage().contains("\"label\""));
    assertTrue(refused("[{\"image\": \"/var/lib/microvms/vm1/\", \"size\": 64}]").getMessage()
        .contains("should end in a file name"));
  }

  @Test
  void refusesTwoImagesThatWouldGetTheSameName() {
    InputException e = refused("""
        [{"image": "/var/lib/microvms/vm1/var.img", "size": 64},
         {"image": "/var/lib/microvms/vm2/var.img", "size": 64}]
        """);
    assertTrue(e.getMessage().contains("would both be var.img"), e.getMessage());
  }

  @Test
  void theExampleFileMapsToItsTwoAutoCreateVolumes() throws Exception {
    MicroVmVolumes.Plan plan =
        MicroVmVolumes.plan(InputFiles.read(Path.of("conf/examples/microvm-volumes.json").toString(), null), "vm1/");
    assertEquals(json("""
        [{"name": "vm1/var.img", "size": "8192M", "fs": "ext4", "label": "var", "allocation": "sparse"},
         {"name": "vm1/nix-store-overlay.img", "size": "2048M", "fs": "xfs", "label": "nix-store",
          "mkfsArgs": ["-m", "crc=1"], "allocation": "sparse"}]
        """), plan.volumes());
    assertEquals(List.of("/dev/disk/by-id/nvme-data-vm1"), plan.skipped());
  }
}

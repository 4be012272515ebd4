package dev.volumed.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** mountinfo lines as the kernel writes them, odd paths included. */
class MountsTest {
  @Test
  void readsTheDeviceRootPointOptionsAndTypeOfALine() {
    Mounts.Mount m = Mounts.parse("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue")
        .orElseThrow();
    assertEquals(36, m.id());
    assertEquals("98:0", m.majorMinor());
    assertEquals("/mnt1", m.root());
    assertEquals(Path.of("/mnt2"), m.point());
    assertEquals("ext3", m.fsType());
    assertEquals("/dev/root", m.source());
    assertFalse(m.readOnly());
  }

  @Test
  void readsALineWithoutOptionalFieldsAndAReadOnlyMount() {
    Mounts.Mount m = Mounts.parse("120 30 7:3 / /var/lib/kubelet/stage ro,relatime - ext4 /dev/loop3 ro").orElseThrow();
    assertEquals(Path.of("/var/lib/kubelet/stage"), m.point());
    assertTrue(m.readOnly());
  }

  @Test
  void decodesOctalEscapesInPaths() {
    Mounts.Mount m = Mounts.parse("40 30 0:5 /loop7 /tmp/a\\040b/t\\134x rw - devtmpfs udev rw").orElseThrow();
    assertEquals(Path.of("/tmp/a b/t\\x"), m.point());
    assertEquals("/loop7", m.root());
    assertEquals("caf\u00e9", Mounts.unescape("caf\u00e9"));
  }

  @Test
  void skipsLinesItCannotRead() {
    assertTrue(Mounts.parse("").isEmpty());
    assertTrue(Mounts.parse("36 35 98:0 /mnt1 /mnt2 rw").isEmpty());
    assertTrue(Mounts.parse("x 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw").isEmpty());
  }
}

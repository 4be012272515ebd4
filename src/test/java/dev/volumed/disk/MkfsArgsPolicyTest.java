package dev.volumed.disk;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.volumed.protocol.ErrorCode;
import dev.volumed.protocol.VolumeException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packaged allowlist: tuning options pass, anything that reaches outside the image does not. */
class MkfsArgsPolicyTest {
  private static final MkfsArgsPolicy POLICY =
      MkfsArgsPolicy.from(ConfigFactory.load().getConfig("volumed.format.allowed-mkfs-args"));

  @Test
  void tuningOptionsOfEachFileSystemPass() {
    assertDoesNotThrow(() -> POLICY.check(FileSystemType.EXT4, List.of("-m", "0", "-O", "^has_journal", "-i", "8192")));
    assertDoesNotThrow(() -> POLICY.check(FileSystemType.EXT4, List.of("-E", "stride=16,stripe_width=32", "-J", "size=16")));
    assertDoesNotThrow(() -> POLICY.check(FileSystemType.XFS, List.of("-m", "crc=1,reflink=1", "-d", "agcount=4")));
    assertDoesNotThrow(() -> POLICY.check(FileSystemType.BTRFS, List.of("--nodesize=16k", "-O", "no-holes", "-M")));
    assertDoesNotThrow(() -> POLICY.check(FileSystemType.VFAT, List.of("-F", "32")));
    assertDoesNotThrow(() -> POLICY.check(FileSystemType.SWAP, List.of()));
  }

  @Test
  void optionsThatReachOutsideTheImageAreDeniedByName() {
    assertDenied(FileSystemType.EXT4, "-d", List.of("-d", "etc"));
    assertDenied(FileSystemType.EXT4, "device", List.of("-J", "device=sda"));
    assertDenied(FileSystemType.EXT4, "root_owner", List.of("-E", "root_owner=0:0"));
    assertDenied(FileSystemType.EXT4, "offset", List.of("-E", "stride=4,offset=4096"));
    assertDenied(FileSystemType.XFS, "name", List.of("-d", "name=sda"));
    assertDenied(FileSystemType.XFS, "logdev", List.of("-l", "logdev=sdb"));
    assertDenied(FileSystemType.XFS, "-r", List.of("-r", "rtdev=sdc"));
    assertDenied(FileSystemType.BTRFS, "--rootdir", List.of("--rootdir=etc"));
    assertDenied(FileSystemType.BTRFS, "-r", List.of("-r", "etc"));
    assertDenied(FileSystemType.EXT4, "-L", List.of("-L", "label"));
  }

  @Test
  void pathsAndStrayValuesAreDenied() {
    assertDenied(FileSystemType.EXT4, "names a path", List.of("-U", "/etc/passwd"));
    assertDenied(FileSystemType.EXT4, "stands on its own", List.of("1000"));
    assertDenied(FileSystemType.EXT4, "stands on its own", List.of("-m", "0", "extra"));
    assertDenied(FileSystemType.NONE, "-m", List.of("-m", "0"));
  }

  private static void assertDenied(FileSystemType fs, String named, List<String> args) {
    VolumeException e = assertThrows(VolumeException.class, () -> POLICY.check(fs, args));
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }
}

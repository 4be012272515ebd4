package dev.volumed.disk;

import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.FileSystemType;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
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

  @Test
  void aFlagTakesNoValueSoTheNextArgumentWouldBeADevice() {
    assertDenied(FileSystemType.BTRFS, "\"victim.img\" stands on its own", List.of("-M", "victim.img"));
    assertDenied(FileSystemType.BTRFS, "\"victim.img\" stands on its own", List.of("--mixed", "victim.img"));
    assertDenied(FileSystemType.BTRFS, "--mixed takes no value", List.of("--mixed=victim.img"));
    assertDenied(FileSystemType.EXT4, "\"victim.img\" stands on its own", List.of("-j", "victim.img"));
    assertDenied(FileSystemType.VFAT, "\"victim.img\" stands on its own", List.of("-a", "victim.img"));
    assertDoesNotThrow(() -> POLICY.check(FileSystemType.EXT4, List.of("-j", "-m", "0")));
  }

  @Test
  void anOptionWithAValueTakesTheNextArgumentWhateverItStartsWith() throws Exception {
    // getopt takes "-f" as -U's value, so it is a value (mkfs rejects it as a UUID), not the force flag.
    POLICY.check(FileSystemType.EXT4, List.of("-U", "-f"));
    POLICY.check(FileSystemType.SWAP, List.of("-v", "1", "-p", "4096"));
    POLICY.check(FileSystemType.BTRFS, List.of("--nodesize", "16k", "--csum=xxhash"));
    assertDenied(FileSystemType.EXT4, "-U needs a value", List.of("-U"));
    assertDenied(FileSystemType.EXT4, "\"victim.img\" stands on its own", List.of("-U", "-f", "victim.img"));
    assertDenied(FileSystemType.EXT4, "\"victim.img\" stands on its own", List.of("-m", "0", "victim.img"));
  }

  @Test
  void doubleDashClustersAttachedValuesAndAbbreviationsAreRefused() {
    assertDenied(FileSystemType.EXT4, "\"--\" ends mkfs's options", List.of("--", "victim.img"));
    assertDenied(FileSystemType.EXT4, "\"-jF\" is short options run together", List.of("-jF"));
    assertDenied(FileSystemType.EXT4, "\"-b4096\" is short options run together or a value attached",
        List.of("-b4096"));
    assertDenied(FileSystemType.BTRFS, "--mix is not allowed for btrfs (give a long option's full name)",
        List.of("--mix"));
    assertDenied(FileSystemType.BTRFS, "--node is not allowed", List.of("--node=16k"));
    assertDenied(FileSystemType.EXT4, "\"-\" stands on its own", List.of("-"));
  }

  @Test
  void aValueThatMakesMkfsExitWithoutFormattingIsRefused() {
    // mkfs.btrfs -O list-all exits 0 having formatted nothing: the volume would be "ready" without a file system.
    assertDenied(FileSystemType.BTRFS, "formats nothing", List.of("-O", "list-all"));
    assertDenied(FileSystemType.BTRFS, "formats nothing", List.of("--runtime-features=list-all"));
  }

  @Test
  void aRefusalSaysWhatIsAccepted() {
    VolumeException e = assertThrows(VolumeException.class,
        () -> POLICY.check(FileSystemType.BTRFS, List.of("-M", "victim.img")));
    assertTrue(e.getMessage().contains("Accepted for btrfs (volumed.format.allowed-mkfs-args): "), e.getMessage());
    assertTrue(e.getMessage().contains("-M, "), "a flag is shown bare: " + e.getMessage());
    assertTrue(e.getMessage().contains("-n VALUE"), e.getMessage());
    assertTrue(e.getMessage().contains("a long option also as --opt=value"), e.getMessage());
  }

  @Test
  void theAllowlistMustSayEachOptionsArity() {
    for (String bad : List.of("\"-M\" = \"\"", "\"-M\" = true", "\"-M\" = []", "\"-M\" = value",
        "\"M\" = flag", "\"-MF\" = flag", "\"--\" = flag")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> MkfsArgsPolicy.from(ConfigFactory.parseString("btrfs { " + bad + " }")), bad);
      assertTrue(e.getMessage().contains("allowed-mkfs-args.btrfs."), e.getMessage());
    }
    MkfsArgsPolicy policy = MkfsArgsPolicy.from(ConfigFactory.parseString(
        "btrfs { \"-M\" = flag, \"-n\" = \"*\", \"-O\" = [a, b] }"));
    assertEquals(new MkfsArgsPolicy.Rule(true, java.util.Set.of()), policy.allowed(FileSystemType.BTRFS).get("-M"));
    assertEquals(new MkfsArgsPolicy.Rule(false, java.util.Set.of("a", "b")), policy.allowed(FileSystemType.BTRFS).get("-O"));
  }

  private static void assertDenied(FileSystemType fs, String named, List<String> args) {
    VolumeException e = assertThrows(VolumeException.class, () -> POLICY.check(fs, args));
    assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }
}

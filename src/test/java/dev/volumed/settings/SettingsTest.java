package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration as an operator writes it: read over the packaged defaults, every key checked. */
class SettingsTest {

  @TempDir
  Path dir;

  /** A good configuration of a scratch folder: socket and default pool inside {@code dir}. */
  private String base;

  @BeforeEach
  void paths() {
    base = "volumed.socket.path = \"" + dir.resolve("run/volumed.sock") + "\"\n"
        + "volumed.pools.default.path = \"" + dir.resolve("pools/default") + "\"\n";
  }

  private static Settings.Loaded load(String hocon) {
    return Settings.load(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()).resolve());
  }

  private Settings read(String hocon) {
    Settings.Loaded loaded = load(base + "\n" + hocon);
    if (loaded instanceof Settings.Invalid invalid) {
      throw new AssertionError("refused: " + invalid.problems());
    }
    return ((Settings.Valid) loaded).settings();
  }

  /** The problems of {@code hocon} read over the good scratch configuration. */
  private List<String> problems(String hocon) {
    return problemsOf(base + "\n" + hocon);
  }

  private static List<String> problemsOf(String hocon) {
    return assertInstanceOf(Settings.Invalid.class, load(hocon), "accepted: " + hocon).problems();
  }

  private void refusedWith(String hocon, String expected) {
    assertEquals(List.of(expected), problems(hocon));
  }

  // ---- what is accepted -----------------------------------------------------------------------

  @Test
  void packagedDefaultsMatchTheDesign() {
    Settings settings = Settings.from(ConfigFactory.load());
    PoolSettings pool = settings.pools().get(0);
    assertEquals("default", pool.name());
    assertTrue(pool.path().endsWith("var/pools/default"));
    assertEquals(OptionalLong.empty(), pool.capacity());
    assertEquals(5.0, pool.reservedPercent());
    assertEquals(4.0, pool.maxOvercommitRatio());
    assertEquals(Allocation.SPARSE, pool.defaultAllocation());
    assertEquals(FileSystemType.EXT4, pool.defaultFs());
    assertEquals(PoolSettings.parseMode("0600"), pool.mode());
    assertEquals(PoolSettings.parseMode("0660"), settings.socket().mode());
    assertEquals(1048576, settings.socket().maxLineBytes());
    assertEquals(0, settings.format().parallelism());
  }

  @Test
  void parallelismZeroIsTwoPerCoreAtMostThirtyTwo() {
    assertEquals(2, Settings.Format.chosenParallelism(1));
    assertEquals(4, Settings.Format.chosenParallelism(2));
    assertEquals(32, Settings.Format.chosenParallelism(64));
    assertEquals(7, new Settings.Format(7, java.time.Duration.ofMinutes(1), null).effectiveParallelism());
  }

  @Test
  void aPoolNamesOnlyWhatDiffersAndTheDefaultPoolCanBeDropped() {
    Settings settings = Settings.from(ConfigFactory.parseString("""
        volumed.pools { default = null, fast { path = "/srv/fast", capacity = "2T", default-fs = "xfs" } }
        """).withFallback(ConfigFactory.load()).resolve());
    assertEquals(List.of("fast"), settings.pools().stream().map(PoolSettings::name).toList());
    PoolSettings fast = settings.pools().get(0);
    assertEquals(OptionalLong.of(2L << 40), fast.capacity());
    assertEquals(FileSystemType.XFS, fast.defaultFs());
    assertEquals(5.0, fast.reservedPercent(), "inherited from volumed.pool-defaults");
    assertEquals(Allocation.SPARSE, fast.defaultAllocation());
  }

  @Test
  void ownersAndGroupsAreHostNamesOrNumbers() {
    Settings settings = read("volumed.pools.default { owner = root, group = 4242, mode = 640 }"
        + "\nvolumed.socket { allowed-uids = [root, 1234], allowed-gids = [\"0\"] }");
    assertEquals("root", settings.pools().get(0).owner().orElseThrow());
    assertEquals("4242", settings.pools().get(0).group().orElseThrow());
    assertEquals(PoolSettings.parseMode("0640"), settings.pools().get(0).mode());
    assertEquals(List.of("root", "1234"), settings.socket().allowedUids());
  }

  @Test
  void readingTheConfigurationCreatesNothing() {
    read("");
    assertEquals(1, problems("volumed.socket.max-connections = 0").size());
    assertFalse(Files.exists(dir.resolve("run")), "the socket's folder");
    assertFalse(Files.exists(dir.resolve("pools")), "the pool's folder");
  }

  // ---- one line per bad value, naming key, value and what is accepted --------------------------

  @Test
  void refreshIntervalOfZeroIsRefused() {
    refusedWith("volumed.accounting.refresh-interval = 0s",
        "volumed.accounting.refresh-interval = 0s: must be a duration from 1s to 30d, like 30s, 10m or 1h");
  }

  @Test
  void idleTimeoutOfZeroIsRefused() {
    refusedWith("volumed.socket.idle-timeout = 0s",
        "volumed.socket.idle-timeout = 0s: must be a duration from 1s to 30d, like 30s, 10m or 1h");
  }

  @Test
  void aTimerLongerThanTheSchedulerHoldsIsRefused() {
    refusedWith("volumed.socket.request-timeout = 365d",
        "volumed.socket.request-timeout = 365d: must be a duration from 1s to 30d, like 30s, 10m or 1h");
  }

  @Test
  void aNegativeShutdownGraceIsRefusedAndZeroIsAccepted() {
    refusedWith("volumed.shutdown.grace = -1s",
        "volumed.shutdown.grace = -1s: must be a duration from 0s to 30d, like 30s, 10m or 1h");
    assertEquals(0, read("volumed.shutdown.grace = 0s").shutdown().grace().toMillis());
  }

  @Test
  void maxConnectionsOfZeroIsRefused() {
    refusedWith("volumed.socket.max-connections = 0",
        "volumed.socket.max-connections = 0: must be a whole number from 1 to 100000");
  }

  @Test
  void moreConnectionsThanTheSocketThreadsCanServeAreRefused() {
    refusedWith("volumed.socket.max-connections = 200",
        "volumed.socket.max-connections = 200: must be at most 129: each connection holds two threads of"
            + " volumed.socket-dispatcher.thread-pool-executor.fixed-pool-size = 260 (raise that to"
            + " 2 x max-connections + 1)");
  }

  @Test
  void maxLineBytesOfZeroIsRefused() {
    refusedWith("volumed.socket.max-line-bytes = 0",
        "volumed.socket.max-line-bytes = 0: must be a size from 1 KiB to 64 MiB, like 1048576 or \"1M\"");
  }

  @Test
  void maxLineBytesOfTenGigabytesIsRefusedNotAnArithmeticError() {
    refusedWith("volumed.socket.max-line-bytes = 10G",
        "volumed.socket.max-line-bytes = 10G: must be a size from 1 KiB to 64 MiB, like 1048576 or \"1M\"");
  }

  @Test
  void countsThatMustBePositiveAreRefusedAtZero() {
    assertEquals(List.of(
            "volumed.socket.max-in-flight-per-connection = 0: must be a whole number from 1 to 100000",
            "volumed.format.parallelism = -1: must be a whole number from 0 to 1024",
            "volumed.format.timeout = 0s: must be a duration from 1s to 30d, like 30s, 10m or 1h",
            "volumed.batch.max-volumes = 0: must be a whole number from 1 to 1000000"),
        problems("volumed.socket.max-in-flight-per-connection = 0, volumed.format.parallelism = -1,"
            + " volumed.format.timeout = 0s, volumed.batch.max-volumes = 0"));
  }

  @Test
  void aStringWhereANumberBelongsIsOneLineNamingTheKey() {
    refusedWith("volumed.socket.max-connections = many",
        "volumed.socket.max-connections = many: must be a whole number from 1 to 100000");
    refusedWith("volumed.pools.default.max-overcommit-ratio = \"lots\"",
        "volumed.pools.default.max-overcommit-ratio = lots: must be a number of at least 1.0");
  }

  @Test
  void aCapacityOfZeroIsRefused() {
    refusedWith("volumed.pools.default.capacity = 0",
        "volumed.pools.default.capacity = 0: must be null or a size of at least 1 MiB, like \"500G\"");
  }

  @Test
  void modesAreOctalPermissionModes() {
    refusedWith("volumed.pools.default.mode = rw",
        "volumed.pools.default.mode = rw: must be an octal permission mode like \"0600\" (3 digits, or 4 with a leading 0)");
    refusedWith("volumed.socket.mode = \"4755\"",
        "volumed.socket.mode = 4755: must be an octal permission mode like \"0600\" (3 digits, or 4 with a leading 0)");
  }

  @Test
  void aWorldWritableSocketIsRefused() {
    refusedWith("volumed.socket.mode = \"0666\"", "volumed.socket.mode = 0666: must not let others write (connect):"
        + " who may connect is the socket's owner and group, and allowed-uids/allowed-gids");
  }

  @Test
  void poolRangesAndChoicesAreChecked() {
    assertEquals(List.of(
            "volumed.pools.default.reserved-percent = 100: must be a number from 0 up to (not including) 100",
            "volumed.pools.default.max-overcommit-ratio = 0.5: must be a number of at least 1.0",
            "volumed.pools.default.default-allocation = thick: must be one of sparse, fallocate, full",
            "volumed.pools.default.default-fs = ntfs: must be one of ext4, ext3, ext2, xfs, btrfs, vfat, swap, none"),
        problems("volumed.pools.default { reserved-percent = 100, max-overcommit-ratio = 0.5,"
            + " default-allocation = thick, default-fs = ntfs }"));
  }

  @Test
  void aPoolNameThatCannotNameAnActorIsRefused() {
    refusedWith("volumed.pools.\"my pool\".path = \"" + dir.resolve("mine") + "\"",
        "volumed.pools.\"my pool\": a pool name must be 1 to 64 letters, digits, '.', '_' or '-',"
            + " starting with a letter or digit");
  }

  @Test
  void aSocketPathLongerThanAUnixSocketAddressHoldsIsRefused() {
    String deep = dir.resolve("d".repeat(40)).toString();
    String tooLong = deep + "/" + "s".repeat(107 - deep.length()); // 108 bytes with the slash
    assertEquals(108, tooLong.length());
    refusedWith("volumed.socket.path = \"" + tooLong + "\"", "volumed.socket.path = " + tooLong
        + ": must be a socket path of at most 107 bytes once absolute (what a Unix socket address holds)");
    String fits = tooLong.substring(0, 107);
    assertEquals(Path.of(fits), read("volumed.socket.path = \"" + fits + "\"").socket().path());
  }

  @Test
  void aPoolWithoutAPathIsRefused() {
    refusedWith("volumed.pools.fast { capacity = \"2T\" }", "volumed.pools.fast.path is missing:"
        + " every pool names its own folder, e.g. path = \"/srv/volumes/fast\"");
  }

  @Test
  void theDefaultPoolConfiguredWithoutAPathDoesNotUseThePackagedFolder() {
    List<String> problems = problemsOf("volumed.pools.default.capacity = \"1T\"");
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("volumed.pools.default.path is not in your configuration, only in the"
        + " packaged defaults (var/pools/default): every pool names its own folder"), problems.get(0));
  }

  @Test
  void anOwnerOrGroupThisHostDoesNotHaveIsRefused() {
    assertEquals(List.of(
            "volumed.pools.default.owner = no-such-user-x: must be a user name that exists on this host or a numeric uid",
            "volumed.pools.default.group = no-such-group-x: must be a group name that exists on this host or a numeric gid"),
        problems("volumed.pools.default { owner = no-such-user-x, group = no-such-group-x }"));
    refusedWith("volumed.socket.allowed-uids = [root, no-such-user-x]",
        "volumed.socket.allowed-uids = no-such-user-x: must be a user name that exists on this host or a numeric uid");
  }

  @Test
  void poolDefaultsReachEveryPoolAndTheirBadValuesAreReportedOnceUnderTheirOwnName() {
    Settings settings = read("volumed.pool-defaults.mode = \"0640\"\nvolumed.pools.b.path = \"" + dir.resolve("b") + "\"");
    assertEquals(List.of(PoolSettings.parseMode("0640"), PoolSettings.parseMode("0640")),
        settings.pools().stream().map(PoolSettings::mode).toList(), "the packaged default pool too");
    assertEquals(List.of("volumed.pool-defaults.mode = rw: must be an octal permission mode like \"0600\""
            + " (3 digits, or 4 with a leading 0)"),
        problems("volumed.pool-defaults.mode = rw\nvolumed.pools.b.path = \"" + dir.resolve("b") + "\""));
  }

  @Test
  void aMisspeltKeyIsRefusedWithTheKeysThatSectionKnows() {
    List<String> problems = problems("volumed.socket.max-conections = 10\nvolumed.pools.default.capasity = 1G");
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("volumed.socket.max-conections is not a setting volumed knows"
        + " (misspelt?); the keys here are: allowed-gids, allowed-uids, idle-timeout, max-buffered-reply-bytes,"
        + " max-connections, max-connections-per-uid"), problems.get(0));
    assertTrue(problems.get(1).startsWith("volumed.pools.default.capasity is not a setting volumed knows"),
        problems.get(1));
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertEquals(3, problems("volumed.accounting.refresh-interval = 0s, volumed.socket.max-connections = 0,"
        + " volumed.pools.default.mode = rw").size());
  }

  @Test
  void noPoolAtAllIsRefused() {
    refusedWith("volumed.pools.default = null", "volumed.pools names no pool: give at least one, e.g."
        + " volumed.pools.default.path = \"/srv/volumes\"");
  }

  @Test
  void fromThrowsNamingEveryProblem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Settings.from(ConfigFactory.parseString(base + "volumed.socket.max-connections = 0")
            .withFallback(ConfigFactory.load()).resolve()));
    assertTrue(e.getMessage().contains("volumed.socket.max-connections = 0"), e.getMessage());
  }

  // ---- pools share no folder ------------------------------------------------------------------

  @Test
  void nestedPoolsAreRefusedNamingBoth() {
    Path outer = dir.resolve("pools/default");
    refusedWith("volumed.pools.inner.path = \"" + outer.resolve("inner") + "\"",
        "volumed.pools.default.path = " + outer + " and volumed.pools.inner.path = " + outer.resolve("inner")
            + ": pools default and inner overlap (" + outer + " holds " + outer.resolve("inner")
            + "); give each pool a folder of its own, not inside another pool's");
  }

  @Test
  void twoPoolsInOneFolderReachedThroughASymlinkAreRefused() throws Exception {
    Path real = Files.createDirectories(dir.resolve("disk/volumes"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), real);
    List<String> problems = problemsOf(
        "volumed.socket.path = \"" + dir.resolve("volumed.sock") + "\"\n"
            + "volumed.pools { default = null, a.path = \"" + real + "\", b.path = \"" + link + "\" }");
    assertEquals(List.of("volumed.pools.a.path = " + real + " and volumed.pools.b.path = " + link
        + ": pools a and b overlap (are the same folder " + real.toRealPath()
        + "); give each pool a folder of its own, not inside another pool's"), problems);
  }

  @Test
  void aPoolInsideAnotherThroughASymlinkAndAFolderNotYetMadeIsRefused() throws Exception {
    Path real = Files.createDirectories(dir.resolve("disk"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), real);
    List<String> problems = problemsOf(
        "volumed.socket.path = \"" + dir.resolve("volumed.sock") + "\"\n"
            + "volumed.pools { default = null, outer.path = \"" + real.resolve("volumes") + "\","
            + " inner.path = \"" + link.resolve("volumes/vm/images") + "\" }");
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("pools inner and outer overlap"), problems.get(0));
    assertFalse(Files.exists(real.resolve("volumes")), "nothing is created to resolve a path");
  }

  @Test
  void siblingPoolsWithACommonPrefixAreAccepted() {
    Settings settings = read("volumed.pools.default2.path = \"" + dir.resolve("pools/default2") + "\"");
    assertEquals(2, settings.pools().size());
  }

  @Test
  void aSocketInsideAPoolIsRefused() {
    Path pool = dir.resolve("pools/default");
    refusedWith("volumed.socket.path = \"" + pool.resolve("volumed.sock") + "\"",
        "volumed.socket.path = " + pool.resolve("volumed.sock") + ": is inside the folder of pool default ("
            + pool + "); put the socket outside every pool folder, which holds only the pool's images");
  }
}

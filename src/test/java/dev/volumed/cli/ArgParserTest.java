package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArgParserTest {

  private static Invocation parse(String... args) throws UsageException {
    return assertInstanceOf(Invocation.class, ArgParser.parse(args));
  }

  private static UsageException refused(String... args) {
    return assertThrows(UsageException.class, () -> ArgParser.parse(args));
  }

  @Test
  void parsesPingAndPools() throws UsageException {
    assertEquals(Command.PING, parse("ping").command());
    assertEquals(Command.POOLS, parse("pools").command());
    assertFalse(parse("ping").json());
    assertEquals(Optional.empty(), parse("ping").socket());
  }

  @Test
  void parsesGlobalOptionsBeforeTheCommand() throws UsageException {
    Invocation i = parse("--socket", "/run/v.sock", "--json", "ping");
    assertEquals(Optional.of("/run/v.sock"), i.socket());
    assertTrue(i.json());
  }

  @Test
  void acceptsGlobalOptionsAfterTheCommandAndWithEquals() throws UsageException {
    Invocation i = parse("list", "--json", "--socket=/run/v.sock");
    assertEquals(Optional.of("/run/v.sock"), i.socket());
    assertTrue(i.json());
  }

  @Test
  void parsesCreateWithEveryOption() throws UsageException {
    Invocation i =
        parse(
            "create", "vm1/var.img", "--size", "10G", "--pool", "fast", "--fs", "xfs", "--label", "var",
            "--allocation", "fallocate", "--mkfs-arg", "-m", "--mkfs-arg=crc=1");
    assertEquals(Command.CREATE, i.command());
    assertEquals(Optional.of("vm1/var.img"), i.name());
    assertEquals(Optional.of("10G"), i.option(Option.SIZE));
    assertEquals(Optional.of("fast"), i.option(Option.POOL));
    assertEquals(Optional.of("xfs"), i.option(Option.FS));
    assertEquals(Optional.of("var"), i.option(Option.LABEL));
    assertEquals(Optional.of("fallocate"), i.option(Option.ALLOCATION));
    assertEquals(List.of("-m", "crc=1"), i.all(Option.MKFS_ARG));
  }

  @Test
  void takesOptionsBeforeTheName() throws UsageException {
    Invocation i = parse("create", "--size", "1G", "a.img");
    assertEquals(Optional.of("a.img"), i.name());
    assertEquals(Optional.of("1G"), i.option(Option.SIZE));
  }

  @Test
  void mkfsArgValuesMayLookLikeLongOptions() throws UsageException {
    Invocation i = parse("create", "a.img", "--size", "1G", "--fs", "btrfs", "--mkfs-arg", "--nodesize", "--mkfs-arg", "16k");
    assertEquals(List.of("--nodesize", "16k"), i.all(Option.MKFS_ARG));
  }

  @Test
  void parsesGetListDelete() throws UsageException {
    Invocation get = parse("get", "vm1/var.img", "--pool", "fast");
    assertEquals(Command.GET, get.command());
    assertEquals(Optional.of("vm1/var.img"), get.name());
    assertEquals(Optional.of("fast"), get.option(Option.POOL));

    Invocation list = parse("list");
    assertEquals(Command.LIST, list.command());
    assertEquals(Optional.empty(), list.option(Option.POOL));
    assertEquals(Optional.of("p"), parse("list", "--pool", "p").option(Option.POOL));

    Invocation delete = parse("delete", "vm1/var.img");
    assertEquals(Command.DELETE, delete.command());
    assertEquals(Optional.of("vm1/var.img"), delete.name());
  }

  @Test
  void refusesMissingCommand() {
    assertEquals(Optional.empty(), refused().command());
    refused("--json");
  }

  @Test
  void refusesUnknownCommandAndUnknownOptions() {
    refused("frobnicate");
    refused("--verbose", "ping");
    UsageException e = refused("ping", "--pool", "x");
    assertEquals(Optional.of(Command.PING), e.command());
    refused("list", "--size", "1G");
    refused("create", "a.img", "--size", "1G", "--colour", "red");
  }

  @Test
  void refusesMissingNameOrRequiredOption() {
    assertTrue(refused("create", "--size", "1G").getMessage().contains("NAME"));
    assertTrue(refused("create", "a.img").getMessage().contains("--size"));
    refused("get");
    refused("delete");
    refused("get", "");
  }

  @Test
  void refusesMissingOptionValues() {
    refused("create", "a.img", "--size");
    refused("create", "a.img", "--size", "--pool", "p");
    refused("--socket");
    refused("--socket", "", "ping");
    refused("create", "a.img", "--size", "1G", "--mkfs-arg");
  }

  @Test
  void refusesExtraArgumentsAndRepeatedOptions() {
    refused("ping", "extra");
    refused("get", "a.img", "b.img");
    refused("create", "a.img", "--size", "1G", "--size", "2G");
    refused("--socket", "a", "--socket", "b", "ping");
    refused("--json=yes", "ping");
  }

  @Test
  void parsesBatchAndImportMicroVmWithTheirSwitches() throws UsageException {
    Invocation batch = parse("batch", "volumes.json", "--pool", "fast", "--no-atomic");
    assertEquals(Command.BATCH, batch.command());
    assertEquals(Optional.of("volumes.json"), batch.name());
    assertEquals(Optional.of("fast"), batch.option(Option.POOL));
    assertTrue(batch.has(Option.NO_ATOMIC));
    assertFalse(batch.has(Option.DRY_RUN));
    assertEquals(Optional.of("-"), parse("batch", "-").name());

    Invocation microvm = parse("import-microvm", "--dry-run", "v.json", "--prefix=vm1/");
    assertEquals(Command.IMPORT_MICROVM, microvm.command());
    assertEquals(Optional.of("v.json"), microvm.name());
    assertEquals(Optional.of("vm1/"), microvm.option(Option.PREFIX));
    assertTrue(microvm.has(Option.DRY_RUN));
    assertFalse(microvm.has(Option.NO_ATOMIC));
  }

  @Test
  void refusesBatchWithoutAFileAndSwitchesWithAValue() {
    assertTrue(refused("batch").getMessage().contains("needs a FILE"));
    assertTrue(refused("import-microvm", "--prefix", "vm1/").getMessage().contains("needs a FILE"));
    assertTrue(refused("batch", "v.json", "--no-atomic=yes").getMessage().contains("takes no value"));
    refused("batch", "v.json", "--no-atomic", "--no-atomic");
    refused("batch", "v.json", "--dry-run");
    refused("batch", "v.json", "--prefix", "x/");
    refused("batch", "a.json", "b.json");
    refused("create", "a.img", "--size", "1G", "--no-atomic");
  }

  @Test
  void refusesUnknownAllocation() {
    assertTrue(refused("create", "a.img", "--size", "1G", "--allocation", "thick").getMessage().contains("sparse"));
  }

  @Test
  void helpBeforeTheCommandIsTheTopLevelUsage() throws UsageException {
    Parsed.ShowHelp help = assertInstanceOf(Parsed.ShowHelp.class, ArgParser.parse("--help"));
    assertEquals(Usage.top(), help.text());
    assertEquals(Usage.top(), ((Parsed.ShowHelp) ArgParser.parse("-h", "create")).text());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ping", "pools", "create", "batch", "import-microvm", "get", "list", "delete"})
  void helpAfterACommandWinsOverMissingArguments(String word) throws UsageException {
    Command command = Command.byWord(word).orElseThrow();
    assertEquals(Usage.of(command), ((Parsed.ShowHelp) ArgParser.parse(word, "--help")).text());
    assertEquals(Usage.of(command), ((Parsed.ShowHelp) ArgParser.parse("--json", word, "-h")).text());
  }
}

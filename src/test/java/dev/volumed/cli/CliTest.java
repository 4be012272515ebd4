package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The command definitions (picocli's {@link Cli} and its subcommands): what each command line
 * parses into, and which ones are refused as usage errors, with what message and hint.
 */
class CliTest {

  /** A command line as the picocli definitions parse it: the top command and the command run. */
  record Parsed(Cli cli, Object command) {}

  static Parsed parse(String... args) {
    PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
    Cli cli = new Cli(InputStream.nullInputStream(), nowhere, nowhere, Map.of(), false);
    CommandLine.ParseResult parsed = VolumeCtl.commandLine(cli).parseArgs(args);
    assertTrue(parsed.hasSubcommand(), "no command in " + List.of(args));
    return new Parsed(cli, parsed.subcommand().commandSpec().userObject());
  }

  static <T> T parse(Class<T> type, String... args) {
    return assertInstanceOf(type, parse(args).command());
  }

  /** A usage error: its one-line message (without "volumectl: ") and the hint line that ends it. */
  record Refusal(String message, String hint) {}

  /** Runs volumectl: refused with exit 2 before connecting, a message line, a synopsis, a hint. */
  static Refusal refused(String... args) {
    Captured c = Captured.run(args);
    assertEquals(2, c.exit(), List.of(args) + ": " + c.err());
    assertEquals("", c.out());
    List<String> lines = c.err().lines().toList();
    assertTrue(lines.get(0).startsWith("volumectl: "), c.err());
    assertTrue(lines.get(1).startsWith("Usage: volumectl"), c.err());
    String hint = lines.get(lines.size() - 1);
    assertTrue(hint.startsWith("Try 'volumectl ") && hint.endsWith(" --help'."), c.err());
    return new Refusal(lines.get(0).substring("volumectl: ".length()), hint);
  }

  @Test
  void parsesPingAndPools() {
    assertInstanceOf(OneRequest.Ping.class, parse("ping").command());
    assertInstanceOf(OneRequest.Pools.class, parse("pools").command());
    assertFalse(parse("ping").cli().json());
    assertEquals(Optional.empty(), parse("ping").cli().socket());
  }

  @Test
  void parsesGlobalOptionsBeforeTheCommand() {
    Cli cli = parse("--socket", "/run/v.sock", "--json", "ping").cli();
    assertEquals(Optional.of("/run/v.sock"), cli.socket());
    assertTrue(cli.json());
  }

  @Test
  void acceptsGlobalOptionsAfterTheCommandAndWithEquals() {
    Cli cli = parse("list", "--json", "--socket=/run/v.sock").cli();
    assertEquals(Optional.of("/run/v.sock"), cli.socket());
    assertTrue(cli.json());
  }

  @Test
  void acceptsJsonBeforeAndAfterTheCommandAtOnce() {
    assertTrue(parse("--json", "list", "--json").cli().json());
  }

  @Test
  void parsesCreateWithEveryOption() {
    OneRequest.Create c =
        parse(OneRequest.Create.class,
            "create", "vm1/var.img", "--size", "10G", "--pool", "fast", "--fs", "xfs", "--label", "var",
            "--allocation", "fallocate", "--mkfs-arg", "-m", "--mkfs-arg=crc=1");
    assertEquals("vm1/var.img", c.name.name);
    assertEquals("10G", c.size);
    assertEquals("fast", c.pool.pool);
    assertEquals(Optional.of("xfs"), c.fs);
    assertEquals(Optional.of("var"), c.label);
    assertEquals(Optional.of("fallocate"), c.allocation);
    assertEquals(List.of("-m", "crc=1"), c.mkfsArgs);
  }

  @Test
  void takesOptionsBeforeTheName() {
    OneRequest.Create c = parse(OneRequest.Create.class, "create", "--size", "1G", "a.img");
    assertEquals("a.img", c.name.name);
    assertEquals("1G", c.size);
  }

  @Test
  void mkfsArgValuesMayLookLikeOptions() {
    OneRequest.Create c = parse(OneRequest.Create.class,
        "create", "a.img", "--size", "1G", "--fs", "btrfs", "--mkfs-arg", "--nodesize", "--mkfs-arg", "16k",
        "--mkfs-arg", "--size");
    assertEquals(List.of("--nodesize", "16k", "--size"), c.mkfsArgs);
    assertEquals("1G", c.size);
  }

  @Test
  void aNegativeNumberIsAValue() {
    assertEquals("-1", parse(OneRequest.Create.class, "create", "a.img", "--size", "-1").size);
    assertEquals("-1", parse(OneRequest.Create.class, "create", "a.img", "--size=-1").size);
  }

  @Test
  void parsesGetListDelete() {
    OneRequest.Get get = parse(OneRequest.Get.class, "get", "vm1/var.img", "--pool", "fast");
    assertEquals("vm1/var.img", get.name.name);
    assertEquals("fast", get.pool.pool);

    OneRequest.ListVolumes list = parse(OneRequest.ListVolumes.class, "list");
    assertEquals(Optional.empty(), list.pool);
    assertEquals(Optional.of("p"), parse(OneRequest.ListVolumes.class, "list", "--pool", "p").pool);

    OneRequest.Delete delete = parse(OneRequest.Delete.class, "delete", "vm1/var.img");
    assertEquals("vm1/var.img", delete.name.name);
    assertEquals(Requests.DEFAULT_POOL, delete.pool.pool);
  }

  @Test
  void refusesMissingCommand() {
    assertEquals(new Refusal("no command given", "Try 'volumectl --help'."), refused());
    assertEquals("no command given", refused("--json").message());
  }

  @Test
  void refusesUnknownCommandAndUnknownOptions() {
    assertTrue(refused("frobnicate").message().startsWith("unknown command 'frobnicate'"));
    assertTrue(refused("crate").message().contains("did you mean create"));
    assertTrue(refused("--verbose", "ping").message().contains("'--verbose'"));
    Refusal e = refused("ping", "--pool", "x");
    assertTrue(e.message().contains("'--pool'"), e.message());
    assertEquals("Try 'volumectl ping --help'.", e.hint());
    refused("list", "--size", "1G");
    refused("create", "a.img", "--size", "1G", "--colour", "red");
  }

  @Test
  void refusesMissingNameOrRequiredOption() {
    assertEquals("create needs a NAME", refused("create", "--size", "1G").message());
    assertEquals(new Refusal("create needs --size SIZE", "Try 'volumectl create --help'."), refused("create", "a.img"));
    assertEquals("get needs a NAME", refused("get").message());
    assertEquals("delete needs a NAME", refused("delete").message());
    assertEquals("get needs a NAME", refused("get", "").message());
  }

  @Test
  void refusesMissingOptionValues() {
    assertTrue(refused("create", "a.img", "--size").message().contains("'--size'"));
    assertTrue(refused("create", "a.img", "--size", "--pool", "p").message().contains("'--size'"));
    assertTrue(refused("create", "a.img", "--size", "--bogus").message().contains("'--size'"));
    assertTrue(refused("--socket").message().contains("'--socket'"));
    assertEquals("--socket needs a non-empty PATH", refused("--socket", "", "ping").message());
    assertEquals("--mkfs-arg needs a value", refused("create", "a.img", "--size", "1G", "--mkfs-arg").message());
  }

  @Test
  void refusesExtraArgumentsAndRepeatedOptions() {
    assertEquals("unexpected argument 'extra' for ping", refused("ping", "extra").message());
    assertEquals("unexpected argument 'b.img' for get", refused("get", "a.img", "b.img").message());
    assertEquals("unexpected argument 'b.json' for batch", refused("batch", "a.json", "b.json").message());
    assertTrue(refused("create", "a.img", "--size", "1G", "--size", "2G").message().contains("'--size'"));
    assertTrue(refused("--socket", "a", "--socket", "b", "ping").message().contains("'--socket'"));
    assertEquals("--socket given twice", refused("--socket", "a", "ping", "--socket", "b").message());
    assertTrue(refused("--json=yes", "ping").message().contains("'--json' should be specified without 'yes'"));
    assertTrue(refused("--json=true", "ping").message().contains("'--json' should be specified without 'true'"));
  }

  @Test
  void parsesBatchAndImportMicroVmWithTheirSwitches() {
    BatchCommand.Batch batch = parse(BatchCommand.Batch.class, "batch", "volumes.json", "--pool", "fast", "--no-atomic");
    assertEquals("volumes.json", batch.file);
    assertEquals("fast", batch.pool.pool);
    assertTrue(batch.noAtomic);
    assertFalse(batch.dryRun());
    BatchCommand.Batch stdin = parse(BatchCommand.Batch.class, "batch", "-");
    assertEquals("-", stdin.file);
    assertEquals(Requests.DEFAULT_POOL, stdin.pool.pool);

    BatchCommand.ImportMicroVm microvm =
        parse(BatchCommand.ImportMicroVm.class, "import-microvm", "--dry-run", "v.json", "--prefix=vm1/");
    assertEquals("v.json", microvm.file);
    assertEquals("vm1/", microvm.prefix);
    assertTrue(microvm.dryRun());
    assertFalse(microvm.noAtomic);
    assertEquals("", parse(BatchCommand.ImportMicroVm.class, "import-microvm", "v.json").prefix);
  }

  @Test
  void anArgumentStartingWithAtIsAFileNameNotAFileOfArguments(@TempDir Path dir) throws IOException {
    Path arguments = Files.writeString(dir.resolve("volumes.json"), "other.json\n");
    assertEquals("@" + arguments, parse(BatchCommand.Batch.class, "batch", "@" + arguments).file);
  }

  @Test
  void refusesBatchWithoutAFileAndSwitchesWithAValue() {
    assertEquals("batch needs a FILE", refused("batch").message());
    assertEquals("batch needs a FILE", refused("batch", "").message());
    assertEquals("import-microvm needs a FILE", refused("import-microvm", "--prefix", "vm1/").message());
    assertTrue(refused("batch", "v.json", "--no-atomic=yes").message()
        .contains("'--no-atomic' should be specified without 'yes'"));
    refused("batch", "v.json", "--no-atomic", "--no-atomic");
    refused("batch", "v.json", "--dry-run");
    refused("batch", "v.json", "--prefix", "x/");
    refused("create", "a.img", "--size", "1G", "--no-atomic");
  }

  @Test
  void refusesUnknownAllocation() {
    assertEquals("--allocation must be one of sparse, fallocate, full, not 'thick'",
        refused("create", "a.img", "--size", "1G", "--allocation", "thick").message());
  }

  @Test
  void refusesAShellCompletionDoesNotKnow() {
    assertEquals("completion knows bash only, not 'zsh'", refused("completion", "zsh").message());
    assertEquals("completion needs a SHELL", refused("completion").message());
  }

  @Test
  void helpBeforeTheCommandIsTheTopLevelUsage() {
    Captured top = Captured.run("--help");
    assertEquals(0, top.exit());
    assertTrue(top.out().startsWith("Usage: volumectl [-h] "), top.out());
    assertTrue(top.out().contains("Commands:"), top.out());
    assertEquals(top, Captured.run("-h", "create"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ping", "pools", "create", "batch", "import-microvm", "get", "list", "delete", "completion"})
  void helpAfterACommandWinsOverMissingArguments(String word) {
    Captured help = Captured.run(word, "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().startsWith("Usage: volumectl " + word + " [-h]"), help.out());
    assertEquals("", help.err());
    assertEquals(help, Captured.run("--json", word, "-h"));
  }
}

package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.testing.TestDaemon;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** volumectl watch against a real daemon: a line per event as it comes, or JSON lines; exit 0 when volumed stops. */
class WatchCommandTest {
  @TempDir
  Path dir;

  @Test
  void showsEachPoolThenEachChangeAndEndsWhenVolumedShutsDown() throws Exception {
    TestDaemon daemon = TestDaemon.start(dir);
    Watching watch = Watching.start(daemon.socket(), "watch");
    String first = watch.lines.readLine();
    assertTrue(first.matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  default  level ok: .*"), first);
    assertTrue(daemon.request("{\"op\":\"create\",\"name\":\"vm1/a.img\",\"size\":\"1M\",\"fs\":\"none\"}")
        .path("ok").asBoolean());
    String created = watch.lines.readLine();
    assertTrue(created.endsWith("  default  volume created  vm1/a.img  1.0 MiB sparse none, 0 B allocated"), created);
    daemon.close();
    assertEquals(VolumeCtl.OK, watch.exit.get(30, TimeUnit.SECONDS));
    assertTrue(watch.err.toString(StandardCharsets.UTF_8).contains("volumed is shutting down"), watch.err.toString());
  }

  @Test
  void withJsonEachEventIsOneLineOfJson() throws Exception {
    TestDaemon daemon = TestDaemon.start(dir);
    Watching watch = Watching.start(daemon.socket(), "watch", "--pool", "default", "--json");
    JsonNode first = Json.MAPPER.readTree(watch.lines.readLine());
    assertEquals("pool", first.get("event").asText());
    assertTrue(first.get("previous").isNull());
    assertTrue(daemon.request("{\"op\":\"create\",\"name\":\"b.img\",\"size\":\"1M\",\"fs\":\"none\"}")
        .path("ok").asBoolean());
    JsonNode created = Json.MAPPER.readTree(watch.lines.readLine());
    assertEquals("created", created.get("action").asText());
    assertEquals("b.img", created.at("/volume/name").asText());
    daemon.close();
    assertEquals(VolumeCtl.OK, watch.exit.get(30, TimeUnit.SECONDS));
    assertEquals(null, watch.lines.readLine());
  }

  @Test
  void anUnknownPoolIsRefusedAndNoDaemonIsUnreachable() throws Exception {
    try (TestDaemon daemon = TestDaemon.start(dir)) {
      VolumeCtlRun unknown = VolumeCtlRun.against(daemon.socket(), "watch", "--pool", "nope");
      assertEquals(VolumeCtl.REFUSED, unknown.exit(), unknown.describe());
      assertTrue(unknown.err().contains("UNKNOWN_POOL"), unknown.describe());
    }
    VolumeCtlRun gone = VolumeCtlRun.against(dir.resolve("nothing.sock"), "watch");
    assertEquals(VolumeCtl.UNREACHABLE, gone.exit(), gone.describe());
  }

  @Test
  void levelsAreColouredOnlyOnATerminalWithoutNoColor() {
    JsonNode event = Json.MAPPER.createObjectNode().put("event", "pool").put("pool", "fast").put("level", "full")
        .put("previous", "critical").put("message", "rose from critical to full");
    LocalDateTime at = LocalDateTime.of(2026, 12, 1, 21, 53, 7);
    UnaryOperator<String> colour = Colours.levels(true, false, Map.of());
    assertEquals("2026-12-01 21:53:07  fast  level \u001b[1;31mfull\u001b[0m (was critical): rose from critical to full\n",
        WatchCommand.line(event, at, colour));
    assertEquals("2026-12-01 21:53:07  fast  level full (was critical): rose from critical to full\n",
        WatchCommand.line(event, at, Colours.levels(true, false, Map.of("NO_COLOR", "1"))));
    assertEquals("full", Colours.levels(true, true, Map.of()).apply("full"));
    assertEquals("full", Colours.levels(false, false, Map.of()).apply("full"));
    // In the pools table the colour does not change the columns' widths.
    JsonNode pools = Json.MAPPER.createObjectNode().set("pools", Json.MAPPER.createArrayNode().add(
        Json.MAPPER.createObjectNode().put("name", "fast").put("level", "warn").put("allocatedPercent", 81.27)
            .put("filesystemUsedPercent", 12.0)));
    String plain = Render.pools(pools);
    String painted = Render.pools(pools, colour);
    assertTrue(plain.contains("warn  "), plain);
    assertTrue(plain.contains("81.2"), plain);
    assertEquals(plain, painted.replace("\u001b[33m", "").replace("\u001b[0m", ""));
    assertFalse(plain.contains("\u001b"));
  }

  /** volumectl running in its own thread, its stdout readable line by line as it prints. */
  private record Watching(BufferedReader lines, ByteArrayOutputStream err, CompletableFuture<Integer> exit) {
    static Watching start(Path socket, String... args) throws Exception {
      PipedInputStream piped = new PipedInputStream(1 << 16);
      PrintStream out = new PrintStream(new PipedOutputStream(piped), true, StandardCharsets.UTF_8);
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      String[] all = new String[args.length + 2];
      all[0] = "--socket";
      all[1] = socket.toString();
      System.arraycopy(args, 0, all, 2, args.length);
      CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
        try (out) {
          return VolumeCtl.run(all, out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        }
      });
      return new Watching(new BufferedReader(new InputStreamReader(piped, StandardCharsets.UTF_8)), err, exit);
    }
  }
}

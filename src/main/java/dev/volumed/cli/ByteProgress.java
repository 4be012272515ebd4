package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.model.Sizes;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress of one volume's change in place (preallocate, resize) on stderr, from its events
 * ({@code doneBytes}, {@code totalBytes}, and a resize's {@code step}): a live bar redrawn with
 * {@code \r} on a terminal, or otherwise a plain line at each tenth and at each new step. The
 * rendering ({@link #bar}) is pure.
 */
final class ByteProgress implements Progress.View {
  private static final int BAR_CELLS = 20;

  private final PrintStream err;
  private final boolean live;
  private final int width;
  private final LongSupplier nanoTime;
  private final long started;
  private int drawn;
  private long lastTenth = -1;
  private String lastStep;

  ByteProgress(PrintStream err, boolean live, int width, LongSupplier nanoTime) {
    this.err = err;
    this.live = live;
    this.width = width;
    this.nanoTime = nanoTime;
    this.started = nanoTime.getAsLong();
  }

  /** {@code [#####---------------]  25%  12.0 MiB of 48.0 MiB  8.0 MiB/s  ETA 0:04  vm1/var.img}, cut to width - 1. */
  static String bar(long done, long total, long elapsedNanos, String name, int width) {
    int cells = total <= 0 ? BAR_CELLS : (int) (BAR_CELLS * (double) done / total);
    int percent = total <= 0 ? 100 : (int) (100 * (double) done / total);
    double seconds = elapsedNanos / 1e9;
    double rate = seconds > 0 ? done / seconds : 0;
    String eta = done == 0 || rate <= 0 ? "--:--" : Progress.clock(Math.round((total - done) / rate));
    String text = String.format(Locale.ROOT, "[%s%s] %3d%%  %s of %s  %s/s  ETA %s  %s", "#".repeat(cells),
        "-".repeat(BAR_CELLS - cells), percent, Sizes.human(done), Sizes.human(total),
        done == 0 ? "-" : Sizes.human(Math.round(rate)), eta, name).stripTrailing();
    int room = width == Integer.MAX_VALUE ? width : Math.max(width - 1, 10);
    return text.length() <= room ? text : text.substring(0, room - 3) + "...";
  }

  @Override
  public void event(JsonNode event) {
    long done = event.path("doneBytes").asLong();
    long total = event.path("totalBytes").asLong();
    // A plain line goes to a log or a pipe: nothing to wrap, so it is never cut.
    String step = event.path("step").asText("");
    String text = bar(done, total, nanoTime.getAsLong() - started, doing(step) + Render.text(event.path("name")),
        live ? width : Integer.MAX_VALUE);
    if (live) {
      err.print("\r" + text + " ".repeat(Math.max(0, drawn - text.length())));
      err.flush();
      drawn = text.length();
      return;
    }
    long tenth = total <= 0 ? 10 : done * 10 / total;
    if (tenth != lastTenth || !step.equals(lastStep)) {
      err.println(text);
      lastTenth = tenth;
      lastStep = step;
    }
  }

  /** What a resize's step does to the name ("extending ..."); nothing for a change of one step. */
  private static String doing(String step) {
    return switch (step) {
      case "extend" -> "extending ";
      case "filesystem" -> "growing the file system of ";
      default -> "";
    };
  }

  @Override
  public void finish() {
    if (drawn > 0) {
      err.println();
      drawn = 0;
    }
  }
}

package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.volumed.model.Sizes;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The progress of one volume's resize on stderr, from volumed's events ({@code step}, {@code
 * doneBytes}, {@code totalBytes}): a bar redrawn with {@code \r} on a terminal, one line per event
 * otherwise. The rendering ({@link #line}) is pure.
 */
final class ByteProgress {
  private static final int BAR_CELLS = 20;

  private ByteProgress() {}

  /** {@code [########------------]  40%  1.2 GiB of 3.0 GiB  extend vm1/data.img}, cut to width - 1. */
  static String line(JsonNode event, int width) {
    long done = event.path("doneBytes").asLong();
    long total = event.path("totalBytes").asLong();
    int cells = total <= 0 ? BAR_CELLS : (int) (BAR_CELLS * Math.min(done, total) / total);
    int percent = total <= 0 ? 100 : (int) (100 * Math.min(done, total) / total);
    String step = event.path("step").asText("");
    String text = String.format(Locale.ROOT, "[%s%s] %3d%%  %s of %s  %s %s", "#".repeat(cells),
        "-".repeat(BAR_CELLS - cells), percent, Sizes.human(done), Sizes.human(total),
        step.equals("filesystem") ? "growing the file system of" : "extending", Render.text(event.path("name")));
    int room = Math.max(width - 1, 10);
    return text.length() <= room ? text : text.substring(0, room - 3) + "...";
  }

  static Progress.View view(PrintStream err, boolean terminal, int width) {
    return terminal ? new Live(err, width) : new Plain(err);
  }

  private static final class Plain implements Progress.View {
    private final PrintStream err;

    Plain(PrintStream err) {
      this.err = err;
    }

    @Override
    public void event(JsonNode event) {
      err.println(line(event, Integer.MAX_VALUE));
    }

    @Override
    public void finish() {}
  }

  private static final class Live implements Progress.View {
    private final PrintStream err;
    private final int width;
    private int drawn;

    Live(PrintStream err, int width) {
      this.err = err;
      this.width = width;
    }

    @Override
    public void event(JsonNode event) {
      String text = line(event, width);
      err.print("\r" + text + " ".repeat(Math.max(0, drawn - text.length())));
      err.flush();
      drawn = text.length();
    }

    @Override
    public void finish() {
      if (drawn > 0) {
        err.println();
        drawn = 0;
      }
    }
  }
}

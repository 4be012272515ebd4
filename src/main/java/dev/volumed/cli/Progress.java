package dev.volumed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The progress of a batch on stderr, from volumed's progress events: a live one-line bar redrawn
 * with {@code \r} on a terminal, or one plain line per volume otherwise. The rendering is pure
 * ({@link #line}, {@link #bar}); the two views only decide when to print it.
 */
final class Progress {
  private static final int BAR_CELLS = 20;

  private Progress() {}

  /** A view of the events of one batch. */
  interface View {
    void event(JsonNode event);

    /** The reply has come (or the connection broke): leave stderr at the start of a line. */
    void finish();
  }

  /** {@code [12/200] vm3/root.img created}; a failure adds its code and message. */
  static String line(JsonNode event) {
    StringBuilder s = new StringBuilder();
    s.append('[').append(event.path("done").asInt()).append('/').append(event.path("total").asInt()).append("] ");
    s.append(Render.text(event.path("name"))).append(' ').append(Render.text(event.path("outcome")));
    JsonNode error = event.path("error");
    if (error.isObject()) {
      s.append(' ').append(error.path("code").asText("INTERNAL"));
      String message = oneLine(error.path("message").asText(""));
      if (!message.isEmpty()) {
        s.append(": ").append(message);
      }
    }
    return s.toString();
  }

  /**
   * {@code [######--------------]  12/40  30%  2.4 vol/s  ETA 0:12  vm3/root.img}, cut to {@code
   * width - 1} characters so it never wraps.
   */
  static String bar(int done, int total, long elapsedNanos, String last, int width) {
    int cells = total <= 0 ? 0 : (int) ((long) BAR_CELLS * done / total);
    int percent = total <= 0 ? 0 : (int) (100L * done / total);
    double seconds = elapsedNanos / 1e9;
    double rate = seconds > 0 ? done / seconds : 0;
    String eta = done == 0 || rate <= 0 ? "--:--" : clock(Math.round((total - done) / rate));
    String digits = String.valueOf(total);
    String text = String.format(Locale.ROOT, "[%s%s] %" + digits.length() + "d/%s %3d%%  %s vol/s  ETA %s  %s",
        "#".repeat(cells), "-".repeat(BAR_CELLS - cells), done, digits, percent,
        done == 0 ? "-" : rate(rate), eta, last == null ? "" : last).stripTrailing();
    int room = Math.max(width - 1, 10);
    return text.length() <= room ? text : text.substring(0, room - 3) + "...";
  }

  /** A message on one line: mkfs output can span several, which would break a line per volume. */
  static String oneLine(String text) {
    return text.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  /** {@code 0.42}, {@code 3.4}, {@code 120}: two significant digits or so. */
  static String rate(double perSecond) {
    if (perSecond >= 100) {
      return String.format(Locale.ROOT, "%.0f", perSecond);
    }
    if (perSecond >= 1) {
      return String.format(Locale.ROOT, "%.1f", perSecond);
    }
    return String.format(Locale.ROOT, "%.2f", perSecond);
  }

  /** {@code 0:07}, {@code 12:34}, {@code 1:02:03}. */
  static String clock(long seconds) {
    long h = seconds / 3600;
    long m = seconds % 3600 / 60;
    long s = seconds % 60;
    return h > 0
        ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
        : String.format(Locale.ROOT, "%d:%02d", m, s);
  }

  /** One line per volume, for logs and pipes. */
  static final class Plain implements View {
    private final PrintStream err;

    Plain(PrintStream err) {
      this.err = err;
    }

    @Override
    public void event(JsonNode event) {
      err.println(line(event));
    }

    @Override
    public void finish() {}
  }

  /**
   * A bar on one line, redrawn on each event; a failure is printed as a line of its own above
   * the bar, so it stays on the screen.
   */
  static final class Live implements View {
    private final PrintStream err;
    private final int width;
    private final LongSupplier nanoTime;
    private final long started;
    private int drawn;

    Live(PrintStream err, int width, LongSupplier nanoTime) {
      this.err = err;
      this.width = width;
      this.nanoTime = nanoTime;
      this.started = nanoTime.getAsLong();
    }

    @Override
    public void event(JsonNode event) {
      if (event.path("error").isObject()) {
        clear();
        err.println(line(event));
      }
      String text = bar(event.path("done").asInt(), event.path("total").asInt(), nanoTime.getAsLong() - started,
          Render.text(event.path("name")), width);
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

    private void clear() {
      if (drawn > 0) {
        err.print("\r" + " ".repeat(drawn) + "\r");
        drawn = 0;
      }
    }
  }
}

package dev.volumed.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A plain-text table: a header row, then one row per item, columns separated by two spaces and
 * padded to their widest cell. Numbers read best right-aligned; the last column is never padded,
 * so lines carry no trailing spaces. A missing cell prints as {@code -}.
 */
final class Table {
  enum Align { LEFT, RIGHT }

  private static final String GAP = "  ";

  private final List<String> headers = new ArrayList<>();
  private final List<Align> aligns = new ArrayList<>();
  /** Applied to a column's cells (not its header) after their width is measured: colour. */
  private final List<UnaryOperator<String>> painters = new ArrayList<>();
  private final List<List<String>> rows = new ArrayList<>();

  Table column(String header, Align align) {
    if (!rows.isEmpty()) {
      throw new IllegalStateException("add every column before the first row");
    }
    headers.add(header);
    aligns.add(align);
    painters.add(UnaryOperator.identity());
    return this;
  }

  /** The last column's cells are shown through {@code painter}; widths stay those of the plain text. */
  Table painted(UnaryOperator<String> painter) {
    painters.set(painters.size() - 1, painter);
    return this;
  }

  Table row(String... cells) {
    if (cells.length != headers.size()) {
      throw new IllegalArgumentException(
          "a row has " + headers.size() + " cells, not " + cells.length + ": " + Arrays.toString(cells));
    }
    List<String> row = new ArrayList<>(cells.length);
    for (String cell : cells) {
      row.add(cell == null || cell.isEmpty() ? "-" : cell);
    }
    rows.add(row);
    return this;
  }

  String render() {
    int[] widths = new int[headers.size()];
    for (int c = 0; c < widths.length; c++) {
      widths[c] = headers.get(c).length();
      for (List<String> row : rows) {
        widths[c] = Math.max(widths[c], row.get(c).length());
      }
    }
    StringBuilder s = new StringBuilder();
    line(s, headers, widths, false);
    for (List<String> row : rows) {
      line(s, row, widths, true);
    }
    return s.toString();
  }

  private void line(StringBuilder s, List<String> cells, int[] widths, boolean paint) {
    int start = s.length();
    for (int c = 0; c < cells.size(); c++) {
      String cell = cells.get(c);
      String pad = " ".repeat(widths[c] - cell.length());
      cell = paint ? painters.get(c).apply(cell) : cell;
      if (c > 0) {
        s.append(GAP);
      }
      if (aligns.get(c) == Align.RIGHT) {
        s.append(pad).append(cell);
      } else {
        s.append(cell).append(pad);
      }
    }
    // strip the padding of a left-aligned last column
    int end = s.length();
    while (end > start && s.charAt(end - 1) == ' ') {
      end--;
    }
    s.setLength(end);
    s.append('\n');
  }
}

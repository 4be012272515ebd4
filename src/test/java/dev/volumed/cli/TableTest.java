package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TableTest {

  @Test
  void padsColumnsToTheWidestCellAndRightAlignsNumbers() {
    String rendered =
        new Table()
            .column("NAME", Table.Align.LEFT)
            .column("SIZE", Table.Align.RIGHT)
            .column("FS", Table.Align.LEFT)
            .row("vm1/var.img", "10.0 GiB", "ext4")
            .row("a", "512 B", "xfs")
            .render();
    assertEquals(
        ""
            + "NAME             SIZE  FS\n"
            + "vm1/var.img  10.0 GiB  ext4\n"
            + "a               512 B  xfs\n",
        rendered);
  }

  @Test
  void everyColumnStartsAtTheSameOffsetOnEveryLine() {
    String[] lines =
        new Table()
            .column("A", Table.Align.LEFT)
            .column("B", Table.Align.LEFT)
            .row("long cell", "x")
            .row("s", "y")
            .render()
            .split("\n");
    int at = lines[0].indexOf('B');
    assertEquals(at, lines[1].indexOf('x'));
    assertEquals(at, lines[2].indexOf('y'));
  }

  @Test
  void missingCellsPrintAsADashAndLinesHaveNoTrailingSpaces() {
    String rendered =
        new Table()
            .column("NAME", Table.Align.LEFT)
            .column("LABEL", Table.Align.LEFT)
            .row("a", null)
            .row("b", "")
            .render();
    assertEquals("NAME  LABEL\na     -\nb     -\n", rendered);
  }

  @Test
  void anEmptyTableIsItsHeader() {
    assertEquals("NAME  SIZE\n", new Table().column("NAME", Table.Align.LEFT).column("SIZE", Table.Align.RIGHT).render());
  }

  @Test
  void refusesARowOfTheWrongWidth() {
    Table table = new Table().column("A", Table.Align.LEFT);
    assertThrows(IllegalArgumentException.class, () -> table.row("1", "2"));
  }
}

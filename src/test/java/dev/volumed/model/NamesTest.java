package dev.volumed.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class NamesTest {

  @Test
  void volumedsOwnFilesArePathsInsideThePoolButNotVolumeNames() {
    String meta = ".volumed/meta/vm1/disks/data/root.img.json";
    assertNull(Names.pathProblem(meta));
    assertNotNull(Names.problem(meta));
    assertNull(Names.pathProblem("vm1/root.img"));
    assertNull(Names.problem("vm1/root.img"));
  }

  @Test
  void aPathThatCouldLeaveThePoolIsRefusedInTheWordsOfTheVolumeNameRule() {
    for (String name : new String[] {"../x.img", "vm1/../../x.img", "/etc/passwd", "vm1/./x.img", "vm1//x.img", "..",
        "vm1/x\0.img"}) {
      assertNotNull(Names.pathProblem(name), name);
      assertEquals(Names.problem(name), Names.pathProblem(name), name);
    }
    assertEquals(Names.problem(""), Names.pathProblem(""));
    assertEquals(Names.problem(null), Names.pathProblem(null));
  }

  @Test
  void aVolumeNameSaysWhatIsWrongAndWhatIsAccepted() {
    assertEquals("name \"a/b/c/d/e\" has 5 segments; a name is 1 to 4 segments separated by '/', each starting with a"
        + " letter or digit followed by up to 127 of [A-Za-z0-9._-], at most 255 characters, e.g. \"vm1/root.img\"",
        Names.problem("a/b/c/d/e"));
    assertEquals("a volume name is required, e.g. \"vm1/root.img\"", Names.problem(""));
  }
}

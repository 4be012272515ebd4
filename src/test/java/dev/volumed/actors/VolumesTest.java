package dev.volumed.actors;

import static dev.volumed.actors.ReservationsTest.T0;
import static dev.volumed.actors.ReservationsTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.disk.ImageCheck;
import dev.volumed.model.Volume;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ledger's published volumes and deletions, and which of them a refresh may change, with no actor. */
class VolumesTest {
  static final ImageCheck.Result FINE = new ImageCheck.Result(4096, Optional.empty());

  @Test
  void aDeletionThatEndsDeletedRemovesTheVolumeAndOneThatFailedKeepsIt() {
    Volumes<String> volumes = new Volumes<>();
    Volume a = ready("a");
    volumes.put(a);
    volumes.put(ready("b"));
    volumes.beginDelete("a", "w1");
    assertTrue(volumes.isDeleting("a"));
    assertNull(volumes.endDelete("a", false));
    assertFalse(volumes.isDeleting("a"));
    assertSame(a, volumes.get("a"));
    volumes.beginDelete("a", "w1");
    assertSame(a, volumes.endDelete("a", true));
    assertNull(volumes.get("a"));
    assertEquals(1, volumes.size());
  }

  @Test
  void anOwnerThatStopsIsNoLongerDeletingItsNames() {
    Volumes<String> volumes = new Volumes<>();
    volumes.put(ready("a"));
    volumes.put(ready("b"));
    volumes.beginDelete("a", "w1");
    volumes.beginDelete("b", "w2");
    volumes.dropDeletionsOf("w1");
    assertFalse(volumes.isDeleting("a"));
    assertTrue(volumes.isDeleting("b"));
    assertEquals(2, volumes.size());
  }

  @Test
  void aRefreshChangesOnlyTheVeryVolumesItMeasured() {
    Volumes<String> volumes = new Volumes<>();
    List<String> names = List.of("same", "deleted", "deleting", "remade", "unchecked");
    names.forEach(name -> volumes.put(ready(name)));
    List<Volume> asked = List.copyOf(volumes.all());
    volumes.endDelete("deleted", true);
    volumes.beginDelete("deleting", "w1");
    volumes.put(new Volume(spec("remade"), T0.plusSeconds(1), 0, Volume.State.READY, false));
    Map<String, ImageCheck.Result> checks = Map.of("same", FINE, "deleted", FINE, "deleting", FINE, "remade", FINE);

    List<Volumes.Remeasured> changed = volumes.remeasure(asked, checks);

    assertEquals(List.of("same"), changed.stream().map(r -> r.now().name()).toList());
    assertEquals(0, changed.get(0).before().allocatedBytes());
    assertEquals(4096, volumes.get("same").allocatedBytes());
    assertEquals(0, volumes.get("deleting").allocatedBytes());
    assertEquals(0, volumes.get("remade").allocatedBytes());
    assertEquals(0, volumes.get("unchecked").allocatedBytes());
  }

  @Test
  void aCheckThatFindsDamageMarksTheVolumeDamagedAndOneThatFindsNoneMarksItReady() {
    Volumes<String> volumes = new Volumes<>();
    volumes.put(ready("a"));
    List<Volume> asked = List.copyOf(volumes.all());
    volumes.remeasure(asked, Map.of("a", new ImageCheck.Result(0, Optional.of("the image is gone"))));
    assertEquals(Volume.State.DAMAGED, volumes.get("a").state());
    assertEquals(Optional.of("the image is gone"), volumes.get("a").damage());

    Volumes.Remeasured back = volumes.remeasure(List.copyOf(volumes.all()), Map.of("a", FINE)).get(0);
    assertEquals(Volume.State.DAMAGED, back.before().state());
    assertEquals(Volume.State.READY, back.now().state());
    assertEquals(Volume.State.READY, volumes.get("a").state());
  }

  static Volume ready(String name) {
    return new Volume(spec(name), T0, 0, Volume.State.READY, false);
  }
}

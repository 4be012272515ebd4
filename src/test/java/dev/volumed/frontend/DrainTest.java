package dev.volumed.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DrainTest {

  @Test
  void countsTheRequestsInFlightAndAnswersThoseLeftAtAbort() {
    Drain drain = new Drain();
    List<String> aborted = new ArrayList<>();
    Drain.Pending first = reason -> aborted.add("first " + reason.code());
    Drain.Pending second = reason -> aborted.add("second " + reason.code());
    drain.started(first);
    drain.started(second);
    assertEquals(2, drain.inFlight());
    drain.done(first);
    assertEquals(1, drain.inFlight());
    drain.abortAll(new VolumeException(ErrorCode.SHUTTING_DOWN, "bye"));
    assertEquals(List.of("second SHUTTING_DOWN"), aborted, "only what is still in flight is answered");
  }

  @Test
  void drainingStartsOnceAndStays() {
    Drain drain = new Drain();
    assertFalse(drain.draining());
    drain.start();
    drain.start();
    assertTrue(drain.draining());
  }
}

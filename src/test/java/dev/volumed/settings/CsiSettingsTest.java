package dev.volumed.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * volumed.csi: off by default; an endpoint is a unix:// socket path of its own; names are DNS-style;
 * the node's notes (state-dir) never in or around a pool folder.
 */
class CsiSettingsTest {
  @TempDir
  Path dir;

  private TestSettings settings;

  @BeforeEach
  void paths() {
    settings = new TestSettings(dir);
  }

  private Settings.Loaded load(String hocon) {
    return settings.load(hocon);
  }

  private CsiSettings read(String hocon) {
    return settings.valid(hocon).csi();
  }

  private List<String> problems(String hocon) {
    return settings.problems(hocon);
  }

  private String problem(String hocon) {
    List<String> problems = problems(hocon);
    assertEquals(1, problems.size(), problems.toString());
    return problems.get(0);
  }

  @Test
  void noEndpointByDefaultAndTheDriverIsNamedForTheProject() {
    CsiSettings csi = read("");
    assertEquals(Optional.empty(), csi.endpoint());
    assertEquals("csi.volumed.dev", csi.driverName());
    assertEquals("csi.volumed.dev/host", csi.topologyKey());
    assertTrue(!csi.nodeId().isEmpty() && csi.nodeId().length() <= 63, csi.nodeId());
    assertEquals(0, csi.maxVolumesPerNode());
  }

  @Test
  void anEndpointIsAUnixSocketPathAbsoluteOrRelative() {
    assertEquals(Optional.of(dir.resolve("csi.sock")),
        read("volumed.csi.endpoint = \"unix://" + dir.resolve("csi.sock") + "\"").endpoint());
    assertEquals(Optional.of(Path.of("var/csi.sock").toAbsolutePath()),
        read("volumed.csi.endpoint = \"unix://var/csi.sock\"").endpoint());
  }

  @Test
  void endpointsThatAreNotUnixSocketPathsAreRefusedNamingTheKey() {
    for (String bad : List.of("\"/run/csi.sock\"", "\"tcp://127.0.0.1:10000\"", "\"unix://\"", "12",
        "\"unix:///" + "x".repeat(120) + "\"")) {
      String problem = problem("volumed.csi.endpoint = " + bad);
      assertTrue(problem.startsWith("volumed.csi.endpoint = ") && problem.contains("unix://"), problem);
    }
  }

  @Test
  void theEndpointCannotBeTheFrontEndsSocket() {
    String problem = problem("volumed.csi.endpoint = \"unix://" + dir.resolve("run/volumed.sock") + "\"");
    assertTrue(problem.contains("socket of its own"), problem);
  }

  @Test
  void driverNamesAndNodeIdsAreDnsStyle() {
    assertEquals("node-7.rack2", read("volumed.csi.node-id = \"node-7.rack2\"").nodeId());
    assertTrue(problem("volumed.csi.driver-name = \"has space\"").startsWith("volumed.csi.driver-name"));
    assertTrue(problem("volumed.csi.driver-name = \"" + "a".repeat(64) + "\"").startsWith("volumed.csi.driver-name"));
    assertTrue(problem("volumed.csi.node-id = \"-x\"").startsWith("volumed.csi.node-id"));
    assertTrue(problem("volumed.csi.max-volumes-per-node = -1").startsWith("volumed.csi.max-volumes-per-node"));
  }

  @Test
  void aMisspeltKeyIsRefused() {
    assertTrue(problem("volumed.csi.endpiont = \"unix:///x\"").contains("endpiont"));
  }

  @Test
  void theStateDirDefaultsToVarCsiUnderTheWorkingDirectory() {
    Settings.Valid valid = assertInstanceOf(Settings.Valid.class, load(""));
    assertEquals(Path.of("var/csi").toAbsolutePath(), valid.settings().csi().stateDir());
  }

  @Test
  void aStateDirInsideOrAroundAPoolFolderIsRefused() throws Exception {
    Path pool = Files.createDirectories(dir.resolve("pools/default"));
    List<String> inside = problems("volumed.csi.state-dir = \"" + pool.resolve("csi") + "\"");
    assertEquals(1, inside.size(), inside::toString);
    assertTrue(inside.get(0).contains("volumed.csi.state-dir") && inside.get(0).contains("inside the folder of pool"
        + " default"), inside::toString);
    List<String> around = problems("volumed.csi.state-dir = \"" + dir.resolve("pools") + "\"");
    assertTrue(around.get(0).contains("around the folder of pool default"), around::toString);
  }

  @Test
  void aStateDirBesideThePoolsIsAccepted() {
    Settings.Valid valid = assertInstanceOf(Settings.Valid.class,
        load("volumed.csi.state-dir = \"" + dir.resolve("csi") + "\""));
    assertEquals(dir.resolve("csi"), valid.settings().csi().stateDir());
  }
}

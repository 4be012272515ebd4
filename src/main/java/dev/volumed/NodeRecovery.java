package dev.volumed;

import dev.volumed.node.NodeException;
import dev.volumed.node.NodeHost;
import dev.volumed.node.Recovery;
import dev.volumed.settings.CsiSettings;
import org.slf4j.Logger;

/** The CSI node's start-up pass over its notes (see {@link Recovery}), logged line by line. Blocks. */
final class NodeRecovery {
  private NodeRecovery() {}

  static void run(CsiSettings csi, Logger log) throws NodeException {
    for (String line : Recovery.run(NodeHost.at(csi.stateDir()))) {
      log.info("CSI node start-up: {}", line);
    }
  }
}

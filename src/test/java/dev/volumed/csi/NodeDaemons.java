package dev.volumed.csi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The configuration of a volumed serving CSI for the node tests: one pool, its notes and sockets under dir. */
final class NodeDaemons {
  private NodeDaemons() {}

  static Path config(Path dir) throws IOException {
    Path pool = Files.createDirectories(dir.resolve("pool"));
    Path config = dir.resolve("volumed.conf");
    Files.writeString(config, "volumed {\n  socket.path = \"" + dir.resolve("volumed.sock") + "\"\n"
        + "  pools { default { path = \"" + pool + "\" } }\n"
        + "  csi { endpoint = \"unix://" + dir.resolve("csi.sock") + "\", state-dir = \"" + dir.resolve("state")
        + "\" }\n}\n");
    return config;
  }
}

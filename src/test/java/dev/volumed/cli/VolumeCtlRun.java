package dev.volumed.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One run of {@link VolumeCtl#run} for tests outside this package (the end-to-end tests): its exit
 * code and what it printed. The environment is empty, so {@code $VOLUMED_SOCKET} never leaks in.
 */
public record VolumeCtlRun(int exit, String out, String err) {

  public static VolumeCtlRun of(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = VolumeCtl.run(args, o, e, Map.of());
    }
    return new VolumeCtlRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** For assertion messages: everything the run printed. */
  /** volumectl with {@code --socket} pointing at a test daemon's socket. */
  public static VolumeCtlRun against(java.nio.file.Path socket, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--socket";
    all[1] = socket.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return of(all);
  }

  public String describe() {
    return "exit " + exit + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
  }
}

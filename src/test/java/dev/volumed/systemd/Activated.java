package dev.volumed.systemd;

import dev.volumed.testing.VolumedProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * volumed started as systemd starts it from a socket unit: {@code systemd-socket-activate -l PATH}
 * listens on PATH, and on the first connection execs volumed with the socket as fd 3 (and
 * LISTEN_FDS/LISTEN_PID set); NOTIFY_SOCKET is passed with -E, as the tool passes no other variable.
 */
final class Activated implements AutoCloseable {
  static final String TOOL = "/usr/bin/systemd-socket-activate";

  private final Process process;
  private final Path log;

  private Activated(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts the tool and waits (bounded) until it listens on {@code listen}; volumed starts on a connection. */
  static Activated start(Path config, Path listen, Path notifySocket, Path log) throws Exception {
    List<String> command = new ArrayList<>(List.of(TOOL, "-l", listen.toString()));
    if (notifySocket != null) {
      command.addAll(List.of("-E", "NOTIFY_SOCKET=" + notifySocket));
    }
    command.addAll(VolumedProcess.command(config).command());
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<Void> listening = new CompletableFuture<>();
    Thread pump = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
              StandardOpenOption.APPEND);
          if (line.startsWith("Listening on ")) {
            listening.complete(null);
          }
        }
      } catch (IOException e) {
        listening.completeExceptionally(e);
      }
      listening.completeExceptionally(new AssertionError("systemd-socket-activate ended before listening; log: " + log));
    }, "activated-output");
    pump.setDaemon(true);
    pump.start();
    Activated activated = new Activated(process, log);
    try {
      listening.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      activated.close();
      throw e;
    }
    return activated;
  }

  /** volumed's pid: the tool execs it, so it is the tool's own (as LISTEN_PID says). */
  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  String logText() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** The exit code of a volumed that stops by itself (bounded wait). */
  int waitForExit() throws Exception {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError("volumed still runs after 60 s; log: " + log);
    }
    return process.exitValue();
  }

  /** SIGTERM, then the exit code (bounded wait). */
  int terminate() throws Exception {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError("volumed did not exit within 60 s of SIGTERM; log: " + log);
    }
    return process.exitValue();
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}

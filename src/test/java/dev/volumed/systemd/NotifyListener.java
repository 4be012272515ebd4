package dev.volumed.systemd;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What systemd does with NOTIFY_SOCKET, as a test's own AF_UNIX SOCK_DGRAM socket (the JDK has
 * none, so Debian's python3 holds it): each datagram received comes back as one string, its
 * newlines kept. An address starting with '@' is bound in the abstract namespace.
 */
final class NotifyListener implements AutoCloseable {
  static final String PYTHON = "/usr/bin/python3";
  private static final String SCRIPT = """
      import socket, sys, json
      s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
      a = sys.argv[1]
      s.bind('\\0' + a[1:] if a.startswith('@') else a)
      print('bound', flush=True)
      while True:
          print(json.dumps(s.recv(65536).decode()), flush=True)
      """;

  private final Process process;
  private final BufferedReader lines;

  private NotifyListener(Process process) {
    this.process = process;
    this.lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  static NotifyListener bind(String address) throws Exception {
    NotifyListener listener = new NotifyListener(new ProcessBuilder(PYTHON, "-c", SCRIPT, address)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start());
    String first = listener.lines.readLine();
    if (!"bound".equals(first)) {
      listener.close();
      throw new AssertionError("the notify listener did not bind " + address + ": " + first);
    }
    return listener;
  }

  static NotifyListener bind(Path path) throws Exception {
    return bind(path.toString());
  }

  /** The next datagram; fails after the timeout. */
  String next(long seconds) throws Exception {
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return lines.readLine();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).get(seconds, TimeUnit.SECONDS);
    if (line == null) {
      throw new AssertionError("the notify listener ended");
    }
    return new com.fasterxml.jackson.databind.ObjectMapper().readValue(line, String.class);
  }


  @Override
  public void close() {
    process.destroyForcibly();
  }
}

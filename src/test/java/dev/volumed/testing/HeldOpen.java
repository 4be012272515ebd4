package dev.volumed.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Another process holding an image as a running VM would: python3 with the file open (or only
 * mapped, its descriptor closed), or a loop device backed by it. Ready once constructed (the
 * process said so); closing ends the process or detaches the device.
 */
public final class HeldOpen implements AutoCloseable {
  private final Process process;
  private final String loopDevice;

  private HeldOpen(Process process, String loopDevice) {
    this.process = process;
    this.loopDevice = loopDevice;
  }

  /** python3 holding an open read-write descriptor on image. */
  public static HeldOpen descriptor(Path image) throws IOException {
    return python(image, "f = open(p, 'r+b')");
  }

  /** python3 with image mapped shared and its descriptor closed: only the mapping holds it. */
  public static HeldOpen mapping(Path image) throws IOException {
    return python(image, "import mmap\nf = open(p, 'r+b')\nm = mmap.mmap(f.fileno(), 0)\nf.close()");
  }

  /** A loop device backed by image ({@code losetup -f --show}); needs root. */
  public static HeldOpen loopDevice(Path image) throws Exception {
    Tools.assumeInstalled("losetup");
    Process losetup = new ProcessBuilder("losetup", "-f", "--show", image.toString()).redirectErrorStream(true).start();
    String out = new String(losetup.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    Assumptions.assumeTrue(losetup.waitFor() == 0 && out.startsWith("/dev/loop"), "losetup failed (no loop devices?): " + out);
    return new HeldOpen(null, out);
  }

  private static HeldOpen python(Path image, String hold) throws IOException {
    Tools.assumeInstalled("python3");
    String script = "import sys\np = sys.argv[1]\n" + hold + "\nprint('ready', flush=True)\nsys.stdin.read()\n";
    Process p = new ProcessBuilder(List.of("python3", "-c", script, image.toString())).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (!"ready".equals(line)) {
      p.destroyForcibly();
      throw new IllegalStateException("python3 did not hold " + image + ": " + line);
    }
    return new HeldOpen(p, null);
  }

  public long pid() {
    return process.pid();
  }

  /** /dev/loopN of a loop device holder. */
  public String device() {
    return loopDevice;
  }

  @Override
  public void close() throws Exception {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    if (loopDevice != null) {
      new ProcessBuilder("losetup", "-d", loopDevice).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
  }
}

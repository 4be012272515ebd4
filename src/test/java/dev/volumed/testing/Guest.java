package dev.volumed.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * What a guest does with a volume, done on the host: loop-mount its image (root only), write and
 * read files in it, and run the file system's own checker and blkid on it.
 */
public final class Guest {
  private Guest() {}

  public record Run(int exit, String output) {}

  public static Run run(String... argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(List.of(argv)).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      return new Run(-1, out + "\n(timed out)");
    }
    return new Run(p.exitValue(), out);
  }

  /** Skips unless this runs as root (loop mounts need it). */
  public static void assumeRoot() {
    Assumptions.assumeTrue(uid().equals("0"), "needs root: the test loop-mounts images");
  }

  private static String uid() {
    try {
      return run("id", "-u").output().strip();
    } catch (IOException | InterruptedException e) {
      return "?";
    }
  }

  /** A loop mount of image on a fresh folder under scratch; unmount it by closing. */
  public static final class Mount implements AutoCloseable {
    public final Path dir;

    public Mount(Path image, Path scratch) throws Exception {
      this.dir = Files.createTempDirectory(scratch, "mnt");
      Run r = run("mount", "-o", "loop", image.toString(), dir.toString());
      if (r.exit() != 0) {
        throw new IOException("mount " + image + " failed: " + r.output());
      }
    }

    @Override
    public void close() throws Exception {
      run("sync");
      Run r = run("umount", dir.toString());
      if (r.exit() != 0) {
        throw new IOException("umount " + dir + " failed: " + r.output());
      }
      Files.deleteIfExists(dir);
    }
  }

  /** Writes n MiB of pseudo-random bytes (seeded) to file and returns their SHA-256. */
  public static String writeFile(Path file, int mib, long seed) throws IOException {
    java.util.Random random = new java.util.Random(seed);
    byte[] chunk = new byte[1 << 20];
    MessageDigest sha = sha();
    try (var out = Files.newOutputStream(file)) {
      for (int i = 0; i < mib; i++) {
        random.nextBytes(chunk);
        sha.update(chunk);
        out.write(chunk);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  public static String sha256(Path file) throws IOException {
    MessageDigest sha = sha();
    try (var in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 20];
      for (int n = in.read(buf); n > 0; n = in.read(buf)) {
        sha.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** SHA-256 of the first length bytes read from channel. */
  public static String sha256(java.nio.channels.FileChannel channel, long length) throws IOException {
    MessageDigest sha = sha();
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 20);
    for (long done = 0; done < length; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), length - done));
      int n = channel.read(buf, done);
      if (n <= 0) {
        break;
      }
      sha.update(buf.array(), 0, n);
      done += n;
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** blkid's TYPE, UUID, LABEL ... of the image. */
  public static Map<String, String> blkid(Path image) throws Exception {
    Map<String, String> tags = new TreeMap<>();
    for (String line : run("blkid", "-p", "-o", "export", image.toString()).output().split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        tags.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return tags;
  }

  /** The file system's own read-only checker on the image. */
  public static Run check(String fs, Path image) throws Exception {
    return switch (fs) {
      case "ext2", "ext3", "ext4" -> run("e2fsck", "-f", "-n", image.toString());
      case "xfs" -> run("xfs_repair", "-n", "-f", image.toString());
      case "btrfs" -> run("btrfs", "check", "--readonly", image.toString());
      default -> new Run(0, "no checker for " + fs);
    };
  }
}

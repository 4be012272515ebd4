package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An fd that is closed exactly once, by close or by the Cleaner of the handle that holds it. */
final class Descriptor implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Descriptor.class);

  private final AtomicInteger value;

  Descriptor(int fd) {
    this.value = new AtomicInteger(fd);
  }

  int get() {
    int fd = value.get();
    if (fd < 0) {
      throw new IllegalStateException("descriptor already closed");
    }
    return fd;
  }

  boolean isOpen() {
    return value.get() >= 0;
  }

  @Override
  public void run() {
    int fd = value.getAndSet(-1);
    if (fd >= 0) {
      closeQuietly(fd);
    }
  }

  static void closeQuietly(int fd) {
    try {
      LibC.INSTANCE.close(fd);
    } catch (LastErrorException e) {
      log.debug("close({}) failed: {}", fd, LibC.describe(e.getErrorCode()));
    }
  }
}

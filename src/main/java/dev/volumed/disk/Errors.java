package dev.volumed.disk;

import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;

/** The one mapping from a failed syscall's errno to the error a client sees. */
final class Errors {
  private Errors() {}

  /**
   * For a step that takes blocks (sizing, writing): ENOSPC and EDQUOT are INSUFFICIENT_SPACE with what
   * to do instead; any other errno as {@link #errno}.
   */
  static VolumeException spaceOrIo(int errno, String what) {
    if (errno == LibC.ENOSPC || errno == LibC.EDQUOT) {
      return new VolumeException(ErrorCode.INSUFFICIENT_SPACE, what + ": " + LibC.describe(errno)
          + ". Free space in the pool, choose a smaller size, or use allocation \"sparse\".");
    }
    return errno(errno, what);
  }

  /**
   * EACCES/EPERM and ELOOP (a symlink, never followed) are PERMISSION_DENIED, EFBIG (a file larger than
   * the file system allows) is BAD_REQUEST, anything else IO_ERROR; what says which step failed.
   */
  static VolumeException errno(int errno, String what) {
    if (errno == LibC.EACCES || errno == LibC.EPERM) {
      return new VolumeException(ErrorCode.PERMISSION_DENIED, what + ": " + LibC.describe(errno) + ".");
    }
    if (errno == LibC.ELOOP) {
      return new VolumeException(ErrorCode.PERMISSION_DENIED, what + ": it is a symbolic link, which volumed never follows.");
    }
    if (errno == LibC.EFBIG) {
      return new VolumeException(ErrorCode.BAD_REQUEST, what + ": larger than the pool's file system allows for one file.");
    }
    return new VolumeException(ErrorCode.IO_ERROR, what + ": " + LibC.describe(errno) + ".");
  }
}

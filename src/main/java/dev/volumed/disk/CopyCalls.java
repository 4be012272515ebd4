package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;

/**
 * The libc calls that copy a template into a new image (64-bit Linux). Java 17's
 * FileChannel.transferTo copies file to file with sendfile, which never shares blocks, so
 * copy_file_range and FICLONE are called directly.
 */
interface CopyCalls extends Library {
  CopyCalls INSTANCE = Native.load("c", CopyCalls.class);

  int SEEK_DATA = 3;
  int SEEK_HOLE = 4;
  /** _IOW(0x94, 9, int): make the descriptor's file share every block of the file whose descriptor is the argument. */
  long FICLONE = 0x40049409L;
  int ENXIO = 6;

  long lseek(int fd, long offset, int whence) throws LastErrorException;

  long copy_file_range(int fdIn, LongByReference offIn, int fdOut, LongByReference offOut, long length, int flags)
      throws LastErrorException;

  int ioctl(int fd, long request, long arg) throws LastErrorException;

  /** _IOR('X', 31, struct fsxattr) and _IOW('X', 32, struct fsxattr): a file's xfs-style attributes (28 bytes). */
  long FS_IOC_FSGETXATTR = 0x801c581fL;
  long FS_IOC_FSSETXATTR = 0x401c5820L;
  /** fsx_xflags: fsx_cowextsize is set. */
  int FS_XFLAG_COWEXTSIZE = 0x10000;

  int ioctl(int fd, long request, byte[] arg) throws LastErrorException;

  long pwrite(int fd, Pointer buf, long count, long offset) throws LastErrorException;

  long pread(int fd, Pointer buf, long count, long offset) throws LastErrorException;
}

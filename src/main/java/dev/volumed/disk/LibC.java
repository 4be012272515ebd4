package dev.volumed.disk;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * The few libc calls Java's NIO does not offer. 64-bit Linux only (x86_64, aarch64): {@code off_t},
 * {@code size_t} and {@code ssize_t} are mapped to {@code long}.
 */
interface LibC extends Library {
  LibC INSTANCE = Native.load("c", LibC.class);

  // open(2) flags. O_NOFOLLOW and O_DIRECTORY differ between x86_64 and aarch64.
  int O_RDONLY = 0;
  int O_WRONLY = 1;
  int O_RDWR = 2;
  int O_CREAT = 0100;
  int O_EXCL = 0200;
  int O_CLOEXEC = 02000000;
  int O_NOFOLLOW = Platform.isARM() ? 0100000 : 0400000;
  int O_DIRECTORY = Platform.isARM() ? 040000 : 0200000;
  /** A descriptor that only names a file or folder (usable as dirfd and for fstat), not for I/O. */
  int O_PATH = 010000000;

  int AT_FDCWD = -100;
  int AT_SYMLINK_NOFOLLOW = 0x100;
  int AT_REMOVEDIR = 0x200;
  int AT_EMPTY_PATH = 0x1000;
  int RENAME_NOREPLACE = 1;
  int RENAME_EXCHANGE = 2;
  int STATX_TYPE = 0x1;
  int STATX_NLINK = 0x4;
  int STATX_INO = 0x100;
  int STATX_SIZE = 0x200;
  int STATX_BLOCKS = 0x400;
  /** Offsets in struct statx (the same on every architecture): stx_mode (u16), stx_ino, stx_dev_major/minor. */
  int STATX_NLINK_OFFSET = 16;
  int STATX_MODE_OFFSET = 28;
  int STATX_INO_OFFSET = 32;
  int S_IFMT = 0170000;
  int S_IFDIR = 0040000;
  int S_IFREG = 0100000;
  /** Offset of stx_size in struct statx. */
  int STATX_SIZE_OFFSET = 40;
  int S_IFLNK = 0120000;
  /** Offset of stx_blocks in struct statx, the same on every architecture. */
  int STATX_BLOCKS_OFFSET = 48;
  int STATX_STRUCT_SIZE = 256;
  /** Offsets of stx_dev_major and stx_dev_minor (u32 each) in struct statx. */
  int STATX_DEV_MAJOR_OFFSET = 136;
  int STATX_DEV_MINOR_OFFSET = 140;

  // _IOR('f', 1, long) and _IOW('f', 2, long) with an 8-byte long; the kernel reads an int.
  long FS_IOC_GETFLAGS = 0x80086601L;
  long FS_IOC_SETFLAGS = 0x40086602L;
  int FS_NOCOW_FL = 0x00800000;

  /** renameat2 has no glibc wrapper before 2.28, so it is called through syscall(2). 0: unknown arch. */
  long SYS_RENAMEAT2 = Platform.isARM() ? 276 : Platform.isIntel() ? 316 : 0;

  // errno values (the same on x86_64 and aarch64).
  int EPERM = 1;
  int ENOENT = 2;
  int EBADF = 9;
  int EAGAIN = 11;
  int EACCES = 13;
  int EEXIST = 17;
  int EXDEV = 18;
  int ENOTDIR = 20;
  int EISDIR = 21;
  int EINVAL = 22;
  int ENOTTY = 25;
  int EFBIG = 27;
  int ENOSPC = 28;
  int EROFS = 30;
  int ERANGE = 34;
  int ENOSYS = 38;
  int ENOTEMPTY = 39;
  int ELOOP = 40;
  int EOPNOTSUPP = 95;
  int EDQUOT = 122;

  int open(String path, int flags, int mode) throws LastErrorException;

  int openat(int dirfd, String path, int flags, int mode) throws LastErrorException;

  int mkdirat(int dirfd, String path, int mode) throws LastErrorException;

  int unlinkat(int dirfd, String path, int flags) throws LastErrorException;

  int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags) throws LastErrorException;

  int renameat(int olddirfd, String oldpath, int newdirfd, String newpath) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  int fchown(int fd, int owner, int group) throws LastErrorException;

  int fchmod(int fd, int mode) throws LastErrorException;

  int ftruncate(int fd, long length) throws LastErrorException;

  int fallocate(int fd, int mode, long offset, long len) throws LastErrorException;

  long write(int fd, Pointer buf, long count) throws LastErrorException;

  long pwrite(int fd, Pointer buf, long count, long offset) throws LastErrorException;

  // lseek(2) whence values for walking a sparse file's data; fallocate(2) modes for punching holes.
  int SEEK_DATA = 3;
  int SEEK_HOLE = 4;
  int ENXIO = 6;

  long lseek(int fd, long offset, int whence) throws LastErrorException;

  int FALLOC_FL_KEEP_SIZE = 0x01;
  int FALLOC_FL_PUNCH_HOLE = 0x02;

  int fsync(int fd) throws LastErrorException;

  int geteuid();

  int LOCK_EX = 2;
  int LOCK_NB = 4;

  /** A lock on the open file description (not the process, unlike fcntl locks); released when it is closed. */
  int flock(int fd, int operation) throws LastErrorException;

  long pread(int fd, Pointer buf, long count, long offset) throws LastErrorException;

  /** Flushes the whole file system that holds fd (one call for a batch's many files). */
  int syncfs(int fd) throws LastErrorException;

  int ioctl(int fd, long request, IntByReference arg) throws LastErrorException;

  /** An ioctl whose argument is a buffer (LOOP_GET_STATUS64, FS_IOC_FIEMAP). */
  int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

  /** An ioctl whose argument is a plain int (FICLONE takes the source descriptor). */
  int ioctl(int fd, long request, int arg) throws LastErrorException;

  int statx(int dirfd, String path, int flags, int mask, Pointer statxbuf) throws LastErrorException;

  long syscall(long number, Object... args) throws LastErrorException;

  String strerror(int errnum);

  /** "No space left on device (errno 28)". */
  static String describe(int errno) {
    return INSTANCE.strerror(errno) + " (errno " + errno + ")";
  }
}

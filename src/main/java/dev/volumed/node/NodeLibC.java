package dev.volumed.node;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The libc calls the node work needs that Java does not offer: a loop device's status and statvfs. 64-bit Linux. */
interface NodeLibC extends Library {
  NodeLibC INSTANCE = Native.load("c", NodeLibC.class);

  int O_RDONLY = 0;
  int O_CLOEXEC = 02000000;

  /** _IO('L', 0x05): struct loop_info64, whose lo_device (u64 at 0) and lo_inode (u64 at 8) name the backing file. */
  long LOOP_GET_STATUS64 = 0x4C05;
  int LOOP_INFO64_SIZE = 232;

  /** struct statvfs on 64-bit Linux: eleven unsigned longs, then six ints of padding. */
  int STATVFS_SIZE = 112;

  int open(String path, int flags, int mode) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

  int statvfs(String path, Pointer buf) throws LastErrorException;
}

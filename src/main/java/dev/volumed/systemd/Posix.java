package dev.volumed.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The libc calls the systemd protocols need and the JDK lacks: fd juggling and AF_UNIX datagrams. 64-bit Linux. */
interface Posix extends Library {
  Posix INSTANCE = Native.load("c", Posix.class);

  int AF_UNIX = 1;
  int SOCK_DGRAM = 2;
  int SOCK_CLOEXEC = 02000000;
  /** No SIGPIPE if the receiver went away: an error return instead. */
  int MSG_NOSIGNAL = 0x4000;
  /** struct sockaddr_un: sa_family_t (2 bytes), then sun_path[108]. */
  int SUN_PATH_OFFSET = 2;
  int SUN_PATH_BYTES = 108;

  int dup2(int oldfd, int newfd) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  int socket(int domain, int type, int protocol) throws LastErrorException;

  long sendto(int fd, byte[] buf, long len, int flags, Pointer addr, int addrlen) throws LastErrorException;
}

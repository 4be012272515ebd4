package dev.volumed.settings;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.util.OptionalInt;

/**
 * Users and groups as this host knows them (names through NSS, as {@code chown} resolves them):
 * the configuration's owners, groups and allowed ids are checked with it at start-up, and images
 * are chowned with the ids it gives.
 */
public final class HostIds {
  private HostIds() {}

  /** The two libc calls; 64-bit Linux only (size_t as long). */
  private interface Nss extends Library {
    Nss INSTANCE = Native.load("c", Nss.class);

    /** Returns an error number (0: done; result null: no such user); errno is not used. */
    int getpwnam_r(String name, Pointer pwd, Pointer buf, long buflen, PointerByReference result);

    int getgrnam_r(String name, Pointer grp, Pointer buf, long buflen, PointerByReference result);

    String strerror(int errnum);
  }

  /** struct passwd: pw_name, pw_passwd (pointers), then pw_uid, pw_gid; struct group: gr_name, gr_passwd, gr_gid. */
  private static final int PASSWD_UID_OFFSET = 16;
  private static final int GROUP_GID_OFFSET = 16;
  private static final int PASSWD_STRUCT_SIZE = 48;
  private static final int GROUP_STRUCT_SIZE = 32;
  private static final int ERANGE = 34;

  /** A user (or group) name as the host knows it, else a number taken as it is; else BAD_REQUEST. */
  public static int idOf(String id, boolean user) throws VolumeException {
    String what = user ? "owner" : "group";
    if (id.isEmpty() || id.startsWith("-")) {
      throw new VolumeException(ErrorCode.BAD_REQUEST, "The " + what + " '" + id
          + "' is not valid: give a name that exists on this host or a non-negative number.");
    }
    OptionalInt known = lookupId(id, user);
    if (known.isPresent()) {
      return known.getAsInt();
    }
    if (id.chars().allMatch(c -> c >= '0' && c <= '9') && id.length() <= 10 && Long.parseLong(id) < 0xffffffffL) {
      return (int) Long.parseLong(id);
    }
    throw new VolumeException(ErrorCode.BAD_REQUEST, user
        ? "Unknown owner '" + id + "': give a user name that exists on this host or a numeric uid."
        : "Unknown group '" + id + "': give a group name that exists on this host or a numeric gid.");
  }

  /** getpwnam_r / getgrnam_r (thread-safe): the numeric id of a name, empty when the host has none. */
  private static OptionalInt lookupId(String name, boolean user) throws VolumeException {
    long bufSize = 16 << 10;
    while (true) {
      try (Memory entry = new Memory(user ? PASSWD_STRUCT_SIZE : GROUP_STRUCT_SIZE);
           Memory buf = new Memory(bufSize)) {
        PointerByReference result = new PointerByReference();
        int rc = user
            ? Nss.INSTANCE.getpwnam_r(name, entry, buf, bufSize, result)
            : Nss.INSTANCE.getgrnam_r(name, entry, buf, bufSize, result);
        if (rc == ERANGE && bufSize < (4 << 20)) {
          bufSize *= 4;
          continue;
        }
        if (rc != 0) {
          throw new VolumeException(ErrorCode.IO_ERROR, "Cannot look up the " + (user ? "user" : "group")
              + " '" + name + "': " + Nss.INSTANCE.strerror(rc) + ".");
        }
        if (result.getValue() == null) {
          return OptionalInt.empty();
        }
        return OptionalInt.of(entry.getInt(user ? PASSWD_UID_OFFSET : GROUP_GID_OFFSET));
      }
    }
  }
}

package dev.volumed.frontend;

import java.nio.channels.SocketChannel;
import java.nio.file.attribute.UserPrincipal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The connections being served: at most {@code max} in all and {@code maxPerUser} of one peer
 * user, so one user cannot take every slot and lock the others out.
 */
final class ConnectionSlots {
  private final int max;
  private final int maxPerUser;
  private final Map<SocketChannel, UserPrincipal> open = new ConcurrentHashMap<>();
  private final Map<UserPrincipal, Integer> perUser = new HashMap<>();

  ConnectionSlots(int max, int maxPerUser) {
    this.max = max;
    this.maxPerUser = maxPerUser;
  }

  /** Takes a slot for the connection; empty when taken, else why not (for an OVERLOADED answer). */
  synchronized Optional<String> take(SocketChannel channel, UserPrincipal user) {
    if (open.size() >= max) {
      return Optional.of("volumed already serves " + max + " connections (volumed.socket.max-connections);"
          + " try again later");
    }
    int mine = perUser.getOrDefault(user, 0);
    if (mine >= maxPerUser) {
      return Optional.of("user " + user.getName() + " already has " + maxPerUser + " connections open"
          + " (volumed.socket.max-connections-per-uid); close one or try again later");
    }
    perUser.put(user, mine + 1);
    open.put(channel, user);
    return Optional.empty();
  }

  /** The connection has ended; its slot is free. Releasing twice frees it once. */
  synchronized void release(SocketChannel channel) {
    UserPrincipal user = open.remove(channel);
    if (user != null) {
      perUser.computeIfPresent(user, (u, n) -> n > 1 ? n - 1 : null);
    }
  }

  List<SocketChannel> open() {
    return List.copyOf(open.keySet());
  }

  boolean isEmpty() {
    return open.isEmpty();
  }
}

package dev.volumed.frontend;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Who may talk to volumed: each connection's peer credentials (SO_PEERCRED) against volumed's own
 * user, root, its own group, and {@code volumed.socket.allowed-uids} / {@code allowed-gids}.
 */
final class PeerCheck {
  private final Set<UserPrincipal> users;
  private final Set<GroupPrincipal> groups;

  private PeerCheck(Set<UserPrincipal> users, Set<GroupPrincipal> groups) {
    this.users = Set.copyOf(users);
    this.groups = Set.copyOf(groups);
  }

  /** Resolves the allowed users and groups; volumed's own are the owner and group of its socket file. */
  static PeerCheck resolve(Path socket, List<String> allowedUids, List<String> allowedGids) throws IOException {
    UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
    PosixFileAttributes own = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Set<UserPrincipal> users = new HashSet<>();
    users.add(own.owner());
    users.add(lookup.lookupPrincipalByName("0"));
    for (String uid : allowedUids) {
      users.add(lookup.lookupPrincipalByName(uid));
    }
    Set<GroupPrincipal> groups = new HashSet<>();
    groups.add(own.group());
    for (String gid : allowedGids) {
      groups.add(lookup.lookupPrincipalByGroupName(gid));
    }
    return new PeerCheck(users, groups);
  }

  /** Who is at the other end of the connection (SO_PEERCRED). */
  static UnixDomainPrincipal peer(SocketChannel channel) throws IOException {
    return channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
  }

  /** Empty when the peer may connect, else who it is, for the refusal and the log. */
  Optional<String> refusal(UnixDomainPrincipal peer) {
    if (users.contains(peer.user()) || groups.contains(peer.group())) {
      return Optional.empty();
    }
    return Optional.of("user " + peer.user().getName() + ", group " + peer.group().getName());
  }
}

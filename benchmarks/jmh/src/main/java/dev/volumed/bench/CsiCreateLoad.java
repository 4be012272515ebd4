package dev.volumed.bench;

import dev.volumed.csi.v1.CapacityRange;
import dev.volumed.csi.v1.ControllerGrpc;
import dev.volumed.csi.v1.CreateVolumeRequest;
import dev.volumed.csi.v1.DeleteVolumeRequest;
import dev.volumed.csi.v1.VolumeCapability;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What CSI costs over volumed's own socket: N sparse 10 GiB ext4 volumes made by K concurrent
 * clients, once as CSI CreateVolume calls (gRPC, one channel) and once as `create` ops (JSON, one
 * connection per client), interleaved over rounds against one running volumed. Each run ends with
 * `sync` inside the timing; the volumes are deleted between runs, outside it.
 *
 * <pre>
 *   java -cp benchmarks/jmh/target/benchmarks.jar dev.volumed.bench.CsiCreateLoad \
 *       CSI_SOCKET VOLUMED_SOCKET [n=200] [clients=16] [rounds=5]
 * </pre>
 */
public final class CsiCreateLoad {
  private static final long SIZE = 10L << 30;

  private CsiCreateLoad() {}

  public static void main(String[] args) throws Exception {
    String csiSocket = args[0];
    String jsonSocket = args[1];
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int clients = args.length > 3 ? Integer.parseInt(args[3]) : 16;
    int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
    EpollEventLoopGroup loops = new EpollEventLoopGroup(2);
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(csiSocket))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(loops).usePlaintext().build();
    ControllerGrpc.ControllerBlockingStub csi = ControllerGrpc.newBlockingStub(channel);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Double> overCsi = new ArrayList<>();
    List<Double> overJson = new ArrayList<>();
    try {
      for (int round = 1; round <= rounds; round++) {
        String prefix = "load-" + round + "-";
        overCsi.add(timed(pool, clients, n, (client, i) -> csi.createVolume(request(prefix + "c" + i))));
        for (int i = 0; i < n; i++) {
          csi.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId("default/" + prefix + "c" + i).build());
        }
        overJson.add(timedJson(pool, clients, n, jsonSocket, prefix + "j"));
        System.out.printf("round %d: CSI %.3f s, socket %.3f s%n", round, overCsi.get(round - 1),
            overJson.get(round - 1));
      }
    } finally {
      pool.shutdownNow();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      loops.shutdownGracefully();
    }
    double csiMedian = median(overCsi);
    double jsonMedian = median(overJson);
    System.out.printf("%d volumes, %d clients, %d rounds: median CSI %.3f s, socket %.3f s, CSI/socket %.2f%n", n,
        clients, rounds, csiMedian, jsonMedian, csiMedian / jsonMedian);
  }

  private static CreateVolumeRequest request(String name) {
    return CreateVolumeRequest.newBuilder().setName(name)
        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(SIZE))
        .addVolumeCapabilities(VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)))
        .putParameters("allocation", "sparse").build();
  }

  @FunctionalInterface
  private interface Work {
    void run(int client, int volume) throws Exception;
  }

  /** K clients take volumes 0..n-1 in turn; the wall time until all are made and synced. */
  private static double timed(ExecutorService pool, int clients, int n, Work work) throws Exception {
    long start = System.nanoTime();
    List<Future<?>> running = new ArrayList<>();
    for (int client = 0; client < clients; client++) {
      int k = client;
      running.add(pool.submit(() -> {
        for (int i = k; i < n; i += clients) {
          work.run(k, i);
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    sync();
    return (System.nanoTime() - start) / 1e9;
  }

  /** The same volumes by `create` over volumed's socket, one connection per client; then deleted. */
  private static double timedJson(ExecutorService pool, int clients, int n, String socket, String prefix)
      throws Exception {
    List<Json> connections = new ArrayList<>();
    for (int k = 0; k < clients; k++) {
      connections.add(new Json(socket));
    }
    try {
      double seconds = timed(pool, clients, n, (client, i) -> connections.get(client).ok("{\"op\":\"create\",\"name\":\""
          + prefix + i + "\",\"size\":" + SIZE + ",\"fs\":\"ext4\",\"allocation\":\"sparse\"}"));
      for (int i = 0; i < n; i++) {
        connections.get(0).ok("{\"op\":\"delete\",\"name\":\"" + prefix + i + "\"}");
      }
      return seconds;
    } finally {
      for (Json c : connections) {
        c.channel.close();
      }
    }
  }

  /** One connection to volumed's socket: a request line, its reply line. */
  private static final class Json {
    final SocketChannel channel;
    final OutputStream out;
    final BufferedReader in;

    Json(String socket) throws Exception {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
      out = Channels.newOutputStream(channel);
      in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    void ok(String request) throws Exception {
      out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
      String reply = in.readLine();
      if (reply == null || !reply.contains("\"ok\":true")) {
        throw new IllegalStateException(request + " -> " + reply);
      }
    }
  }

  private static void sync() throws Exception {
    new ProcessBuilder("sync").inheritIO().start().waitFor();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int m = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
  }
}

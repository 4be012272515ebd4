package dev.volumed.csi;

import dev.volumed.csi.v1.ControllerGrpc;
import dev.volumed.csi.v1.CreateVolumeRequest;
import dev.volumed.csi.v1.VolumeCapability;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assertions;

/** A real gRPC client of a volumed's CSI endpoint, as kubelet and csi-provisioner connect: over its Unix socket. */
final class ControllerTestClient implements AutoCloseable {
  private final EventLoopGroup loop = new EpollEventLoopGroup(1);
  private final ManagedChannel channel;

  ControllerTestClient(Path endpoint) {
    channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(endpoint.toString()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(loop).usePlaintext().build();
  }

  ControllerGrpc.ControllerBlockingStub blocking() {
    return ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
  }

  ControllerGrpc.ControllerFutureStub futures() {
    return ControllerGrpc.newFutureStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES);
  }

  static VolumeCapability mount(String fsType) {
    return VolumeCapability.newBuilder()
        .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
        .setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fsType)).build();
  }

  static VolumeCapability block() {
    return VolumeCapability.newBuilder()
        .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
        .setBlock(VolumeCapability.BlockVolume.getDefaultInstance()).build();
  }

  /** A create of a block volume of {@code bytes} with these parameters. */
  static CreateVolumeRequest.Builder create(String name, long bytes, Map<String, String> parameters) {
    return CreateVolumeRequest.newBuilder().setName(name).addVolumeCapabilities(block()).putAllParameters(parameters)
        .setCapacityRange(dev.volumed.csi.v1.CapacityRange.newBuilder().setRequiredBytes(bytes));
  }

  /** The status a call fails with; fails the test when it succeeds. */
  static Status failure(Supplier<?> call) {
    StatusRuntimeException e = Assertions.assertThrows(StatusRuntimeException.class, call::get);
    return e.getStatus();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
  }
}

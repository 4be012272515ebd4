package dev.volumed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.typesafe.config.ConfigFactory;
import dev.volumed.csi.v1.GetPluginCapabilitiesRequest;
import dev.volumed.csi.v1.GetPluginInfoRequest;
import dev.volumed.csi.v1.GetPluginInfoResponse;
import dev.volumed.csi.v1.IdentityGrpc;
import dev.volumed.csi.v1.PluginCapability;
import dev.volumed.csi.v1.ProbeRequest;
import dev.volumed.settings.PoolSettings;
import dev.volumed.settings.Settings;
import dev.volumed.testing.VolumedProcess;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ConfigMap's volumed.conf run for real (its host paths moved under a temporary folder, the
 * DaemonSet's NODE_NAME in the environment), asked what the sidecars ask on the socket the
 * registrar names: the driver's name (csi-node-driver-registrar, csi-provisioner), Probe
 * (livenessprobe), and the capabilities csi-provisioner --node-deployment needs.
 */
class DeployedPluginTest {
  @TempDir
  Path root;

  @Test
  void theConfigMapsVolumedAnswersTheSidecarsAsTheManifestsExpect() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    JsonNode configMap = yaml.readTree(Path.of("deploy/kubernetes/configmap.yaml").toFile());
    String driver = yaml.readTree(Path.of("deploy/kubernetes/csidriver.yaml").toFile()).path("metadata").path("name").asText();
    String conf = configMap.path("data").path("volumed.conf").asText()
        .replace("\"/var/lib/", "\"" + root + "/var/lib/")
        .replace("\"unix:///var/lib/", "\"unix://" + root + "/var/lib/")
        .replace("\"/run/volumed/", "\"" + root + "/run/volumed/");
    // Nothing of the host's is touched: every path the file names is now under the temporary folder.
    Settings settings = Settings.from(ConfigFactory.parseString(conf)
        .resolveWith(ConfigFactory.parseMap(Map.of("NODE_NAME", "node-1"))).withFallback(ConfigFactory.load()).resolve());
    Path endpoint = settings.csi().endpoint().orElseThrow();
    List<Path> paths = new ArrayList<>(List.of(settings.socket().path(), endpoint));
    settings.pools().stream().map(PoolSettings::path).forEach(paths::add);
    paths.forEach(p -> assertTrue(p.startsWith(root), p + " is under " + root));
    Files.createDirectories(settings.socket().path().getParent());
    Path file = Files.writeString(root.resolve("volumed.conf"), conf);

    ProcessBuilder builder = VolumedProcess.command(file).redirectErrorStream(true)
        .redirectOutput(root.resolve("volumed.log").toFile());
    builder.environment().put("NODE_NAME", "node-1");
    Process volumed = builder.start();
    EventLoopGroup loops = new EpollEventLoopGroup(1);
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(endpoint.toString()))
        .eventLoopGroup(loops).channelType(EpollDomainSocketChannel.class).usePlaintext().build();
    try {
      VolumedProcess.pingWhenUp(settings.socket().path(), volumed, root.resolve("volumed.log"));
      // Waits for the socket as the sidecars do (they retry until it answers), bounded by the deadline.
      IdentityGrpc.IdentityBlockingStub identity = IdentityGrpc.newBlockingStub(channel).withWaitForReady()
          .withDeadlineAfter(60, TimeUnit.SECONDS);
      GetPluginInfoResponse info = identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
      assertEquals(driver, info.getName(), "the name kubelet registers and the StorageClass names");
      assertEquals(Version.current(), info.getVendorVersion());
      assertTrue(identity.probe(ProbeRequest.getDefaultInstance()).getReady().getValue(), "livenessprobe's /healthz");
      List<PluginCapability.Service.Type> services = identity.getPluginCapabilities(
              GetPluginCapabilitiesRequest.getDefaultInstance()).getCapabilitiesList().stream()
          .filter(PluginCapability::hasService).map(c -> c.getService().getType()).toList();
      // csi-provisioner calls CreateVolume only on a controller; --strict-topology needs the constraints.
      assertTrue(services.contains(PluginCapability.Service.Type.CONTROLLER_SERVICE), services.toString());
      assertTrue(services.contains(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS), services.toString());
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
      volumed.destroy();
      if (!volumed.waitFor(60, TimeUnit.SECONDS)) {
        volumed.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}

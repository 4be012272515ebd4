package dev.volumed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.volumed.testing.VolumedProcess;
import dev.volumed.model.Allocation;
import dev.volumed.model.FileSystemType;
import dev.volumed.settings.PoolSettings;
import dev.volumed.settings.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files (deploy/kubernetes, deploy/nomad, the image) agree with each other and with
 * volumed: one driver name, one socket as every container sees it, capacity tracking switched on
 * where the provisioner and the CSIDriver both need it, and a volumed.conf that volumed accepts.
 * No cluster runs here: what an API server would add (schema validation) is not checked.
 */
class DeployManifestsTest {
  private static final Path KUBERNETES = Path.of("deploy/kubernetes");
  private static final Path NOMAD = Path.of("deploy/nomad");
  private static final String NODE = "node-1";

  private static List<JsonNode> docs;
  private static Settings k8sSettings;
  private static String k8sConf;

  @BeforeAll
  static void load() throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    docs = new ArrayList<>();
    try (Stream<Path> files = Files.walk(KUBERNETES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        yaml.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile()).readAll().stream()
            .filter(doc -> doc != null && !doc.isNull() && !doc.isMissingNode())
            .forEach(docs::add);
      }
    }
    k8sConf = one("ConfigMap").path("data").path("volumed.conf").asText(null);
    assertNotNull(k8sConf, "the ConfigMap holds volumed.conf");
    k8sSettings = settings(k8sConf);
  }

  @Test
  void everyObjectIsWholeAndInTheDriversNamespace() {
    String namespace = one("Namespace").path("metadata").path("name").asText();
    assertEquals("privileged", one("Namespace").path("metadata").path("labels")
        .path("pod-security.kubernetes.io/enforce").asText(), "the node plugin is privileged");
    Set<String> clusterScoped = Set.of("Namespace", "CSIDriver", "ClusterRole", "ClusterRoleBinding", "StorageClass");
    for (JsonNode doc : docs) {
      String kind = doc.path("kind").asText();
      assertFalse(kind.isEmpty() || doc.path("apiVersion").asText().isEmpty(), "apiVersion and kind: " + doc);
      if (kind.equals("Kustomization") || isExample(doc)) {
        continue;
      }
      assertFalse(doc.path("metadata").path("name").asText().isEmpty(), "a name: " + doc);
      if (!clusterScoped.contains(kind)) {
        assertEquals(namespace, doc.path("metadata").path("namespace").asText(), kind + " in " + namespace);
      }
    }
  }

  @Test
  void kustomizationAppliesEveryManifestButTheExamples() throws IOException {
    Set<String> listed = new TreeSet<>();
    one("Kustomization").path("resources").forEach(r -> listed.add(r.asText()));
    Set<String> files;
    try (Stream<Path> list = Files.list(KUBERNETES)) {
      files = list.map(f -> f.getFileName().toString())
          .filter(f -> f.endsWith(".yaml") && !f.equals("kustomization.yaml"))
          .collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(files, listed);
  }

  @Test
  void oneDriverNameEverywhere() {
    JsonNode driver = one("CSIDriver");
    String name = driver.path("metadata").path("name").asText();
    assertEquals("csi.volumed.dev", name, "volumed.csi.driver-name's default");
    assertEquals(name, k8sSettings.csi().driverName(), "the ConfigMap's volumed.conf");
    for (JsonNode storageClass : all("StorageClass")) {
      assertEquals(name, storageClass.path("provisioner").asText(), "provisioner of " + storageClass);
    }
    assertEquals("/var/lib/kubelet/plugins/" + name + "/csi.sock", socketOnHost(), "kubelet's folder for the driver");
  }

  @Test
  void theDriverNeedsNoAttachAndPublishesCapacity() {
    JsonNode spec = one("CSIDriver").path("spec");
    assertFalse(spec.path("attachRequired").asBoolean(true), "attachRequired");
    assertTrue(spec.path("storageCapacity").asBoolean(false), "storageCapacity");
    assertFalse(spec.path("podInfoOnMount").asBoolean(true), "podInfoOnMount");
    assertEquals(List.of("Persistent"), texts(spec.path("volumeLifecycleModes")));
  }

  @Test
  void storageClassesWaitForTheConsumerAndNameWhatVolumedAccepts() {
    Set<String> pools = k8sSettings.pools().stream().map(PoolSettings::name).collect(Collectors.toSet());
    for (JsonNode storageClass : all("StorageClass")) {
      String name = storageClass.path("metadata").path("name").asText();
      assertEquals("WaitForFirstConsumer", storageClass.path("volumeBindingMode").asText(), name);
      // csi-resizer has no per-node mode: one resizer would send every node's volumes to its own volumed.
      assertEquals(hasContainer("csi-resizer"), storageClass.path("allowVolumeExpansion").asBoolean(false),
          name + ": expansion offered only with a resizer that reaches the volume's node");
      JsonNode parameters = storageClass.path("parameters");
      parameters.fieldNames().forEachRemaining(key -> assertTrue(
          Set.of("pool", "fs", "allocation", "csi.storage.k8s.io/fstype").contains(key), name + ": parameter " + key));
      assertTrue(pools.contains(parameters.path("pool").asText("default")), name + ": a pool of volumed.conf");
      String fs = parameters.path("fs").asText();
      assertTrue(FileSystemType.fromWire(fs).isPresent(), name + ": fs " + fs);
      assertTrue(Allocation.fromWire(parameters.path("allocation").asText()).isPresent(), name + ": allocation");
      if (parameters.has("csi.storage.k8s.io/fstype")) {
        assertEquals(fs, parameters.path("csi.storage.k8s.io/fstype").asText(), name + ": kubelet mounts what volumed made");
      } else {
        assertEquals("none", fs, name + ": no fstype for kubelet, so no file system");
      }
    }
  }

  @Test
  void everyContainerSeesTheOneSocket() {
    String host = socketOnHost();
    JsonNode registrar = container("csi-node-driver-registrar");
    assertEquals(host, onHost(registrar, arg(registrar, "--csi-address")), "registrar's --csi-address");
    assertEquals(host, arg(registrar, "--kubelet-registration-path"), "what kubelet is told");
    for (String sidecar : List.of("csi-provisioner", "liveness-probe")) {
      assertEquals(host, onHost(container(sidecar), arg(container(sidecar), "--csi-address")), sidecar);
    }
    assertEquals("/var/lib/kubelet/plugins_registry", onHost(registrar, "/registration"), "kubelet's registry");
  }

  @Test
  void theProvisionerServesItsNodeAndPublishesCapacity() {
    JsonNode provisioner = container("csi-provisioner");
    List<String> args = texts(provisioner.path("args"));
    assertTrue(args.contains("--enable-capacity"), "--enable-capacity");
    assertTrue(args.contains("--node-deployment"), "--node-deployment");
    assertEquals("1", arg(provisioner, "--capacity-ownerref-level"), "owned by the DaemonSet, one level up");
    assertEquals("spec.nodeName", fieldRef(provisioner, "NODE_NAME"));
    assertEquals("metadata.name", fieldRef(provisioner, "POD_NAME"));
    assertEquals("metadata.namespace", fieldRef(provisioner, "NAMESPACE"));
    assertTrue(one("Role").path("rules").toString().contains("csistoragecapacities"));
  }

  @Test
  void volumedRunsPrivilegedWithTheNodeNameAndItsConfig() {
    JsonNode volumed = container("volumed");
    assertTrue(volumed.path("securityContext").path("privileged").asBoolean(false), "privileged");
    assertEquals("spec.nodeName", fieldRef(volumed, "NODE_NAME"));
    assertEquals("volumed:" + Version.current(), volumed.path("image").asText(), "the image the Containerfile makes");
    String config = arg(volumed, "--config");
    JsonNode configMount = mountFor(volumed, config);
    assertEquals(one("ConfigMap").path("metadata").path("name").asText(),
        volume(configMount.path("name").asText()).path("configMap").path("name").asText(), config + " is the ConfigMap's");
    assertEquals("volumed.conf", Path.of(configMount.path("mountPath").asText()).relativize(Path.of(config)).toString());
    // kubelet's publish targets and staging paths: volumed's mounts there must reach the host.
    for (String kubelet : List.of("/var/lib/kubelet/pods/uid/volumes/kubernetes.io~csi/pv/mount",
        "/var/lib/kubelet/plugins/kubernetes.io/csi/" + k8sSettings.csi().driverName() + "/hash/globalmount")) {
      assertEquals(kubelet, onHost(volumed, kubelet), "the same path on the host");
      assertEquals("Bidirectional", mountFor(volumed, kubelet).path("mountPropagation").asText(), kubelet);
    }
    assertEquals("/dev", onHost(volumed, "/dev"), "the host's loop devices");
    assertEquals(k8sSettings.socket().path().toString(), onHost(volumed, k8sSettings.socket().path().toString()));
    for (PoolSettings pool : k8sSettings.pools()) {
      // A loop device's backing file is named by its path: the same inside and outside.
      assertEquals(pool.path().toString(), onHost(volumed, pool.path().toString()), "pool " + pool.name());
    }
  }

  @Test
  void everyMountNamesADeclaredVolumeAndTheServiceAccountExists() {
    JsonNode pod = one("DaemonSet").path("spec").path("template").path("spec");
    Set<String> declared = new TreeSet<>();
    pod.path("volumes").forEach(v -> declared.add(v.path("name").asText()));
    Set<String> used = new TreeSet<>();
    pod.path("containers").forEach(c -> c.path("volumeMounts").forEach(m -> {
      assertTrue(declared.contains(m.path("name").asText()), c.path("name").asText() + " mounts " + m);
      used.add(m.path("name").asText());
    }));
    assertEquals(declared, used, "every volume is used");
    String account = pod.path("serviceAccountName").asText();
    assertEquals(account, one("ServiceAccount").path("metadata").path("name").asText());
    for (String binding : List.of("ClusterRoleBinding", "RoleBinding")) {
      assertEquals(account, one(binding).path("subjects").path(0).path("name").asText(), binding);
    }
  }

  @Test
  void theConfigMapsVolumedConfPassesTheCheckAndTakesTheNodeName(@TempDir Path dir) throws IOException {
    assertEquals(NODE, k8sSettings.csi().nodeId(), "node-id from NODE_NAME");
    assertEquals("csi.volumed.dev/host", k8sSettings.csi().topologyKey());
    Path file = Files.writeString(dir.resolve("volumed.conf"), k8sConf);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ConfigCheck.run(file, resolved(k8sConf), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(ConfigCheck.GOOD, code, err.toString(StandardCharsets.UTF_8));
  }

  /** `volumed --check-config` in a process of its own: NODE_NAME is read from its environment. */
  @Test
  void volumedItselfTakesNodeNameFromItsEnvironment(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("volumed.conf"), k8sConf);
    assertEquals(0, checkConfig(file, NODE, dir.resolve("good.log")), Files.readString(dir.resolve("good.log")));
    // A node name volumed refuses proves the value came through: nothing else names one.
    assertEquals(2, checkConfig(file, "not a node name!", dir.resolve("bad.log")));
    assertTrue(Files.readString(dir.resolve("bad.log")).contains("volumed.csi.node-id = \"not a node name!\""),
        Files.readString(dir.resolve("bad.log")));
  }

  private static int checkConfig(Path file, String nodeName, Path log) throws Exception {
    List<String> command = new ArrayList<>(VolumedProcess.command(file).command());
    command.set(command.indexOf("--config"), "--check-config");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().put("NODE_NAME", nodeName);
    Process process = builder.start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("volumed --check-config did not finish");
    }
    return process.exitValue();
  }

  @Test
  void examplesClaimADeclaredStorageClass() {
    Map<String, JsonNode> classes = all("StorageClass").stream()
        .collect(Collectors.toMap(c -> c.path("metadata").path("name").asText(), c -> c));
    List<JsonNode> claims = all("PersistentVolumeClaim");
    assertFalse(claims.isEmpty());
    for (JsonNode claim : claims) {
      JsonNode storageClass = classes.get(claim.path("spec").path("storageClassName").asText());
      assertNotNull(storageClass, "class of " + claim);
      boolean block = claim.path("spec").path("volumeMode").asText("Filesystem").equals("Block");
      assertEquals(block, storageClass.path("parameters").path("fs").asText().equals("none"), "block claims get no fs");
    }
    assertTrue(claims.stream().anyMatch(c -> c.path("spec").path("volumeMode").asText().equals("Block")));
  }

  @Test
  void theContainerfileInstallsThisVersionsPackage() throws IOException {
    String containerfile = Files.readString(Path.of("packaging/container/Containerfile"));
    assertTrue(containerfile.contains("target/volumed_" + Version.current() + "_all.deb"), "the deb of this build");
    for (String tool : List.of("openjdk-17-jre-headless", "e2fsprogs", "xfsprogs", "btrfs-progs", "dosfstools", "util-linux")) {
      assertTrue(containerfile.contains(tool), tool);
    }
  }

  @Test
  void theNomadJobAndVolumeAgreeWithTheDriver() throws IOException {
    String job = Files.readString(NOMAD.resolve("volumed.nomad.hcl"));
    String plugin = block(job, "csi_plugin");
    String id = attribute(plugin, "id");
    assertEquals("volumed", id);
    assertEquals("monolith", attribute(plugin, "type"), "controller and node in one");
    assertTrue(job.contains("type        = \"system\""), "a system job: on every client");
    assertTrue(job.contains("privileged = true"));
    assertTrue(job.contains("image      = \"volumed:" + Version.current() + "\""));
    Matcher heredoc = Pattern.compile("data\\s*=\\s*<<(\\w+)\\n(.*?)\\n\\1\\n", Pattern.DOTALL).matcher(job);
    assertTrue(heredoc.find(), "the template's volumed.conf");
    String hcl = heredoc.group(2);
    // HCL interpolates "${...}" itself: HOCON's substitutions must be written "$${".
    assertFalse(Pattern.compile("(?<!\\$)\\$\\{").matcher(hcl).find(), "every ${ escaped as $${");
    Settings nomad = settings(hcl.replace("$${", "${"));
    assertEquals(attribute(plugin, "mount_dir") + "/csi.sock", nomad.csi().endpoint().orElseThrow().toString(),
        "Nomad talks to mount_dir/csi.sock");
    assertEquals(k8sSettings.csi().driverName(), nomad.csi().driverName());
    assertEquals(NODE, nomad.csi().nodeId());
    assertTrue(job.contains("NODE_NAME = \"${node.unique.name}\""));

    String volume = Files.readString(NOMAD.resolve("volume.hcl"));
    assertEquals(id, attribute(volume, "plugin_id"));
    assertEquals("csi", attribute(volume, "type"));
    assertTrue(volume.contains("\"" + nomad.csi().topologyKey() + "\" = "), "the topology key");
    String parameters = block(volume, "parameters");
    assertTrue(nomad.pools().stream().anyMatch(p -> p.name().equals(attribute(parameters, "pool"))));
    assertTrue(FileSystemType.fromWire(attribute(parameters, "fs")).isPresent());
    assertEquals(attribute(parameters, "fs"), attribute(block(volume, "mount_options"), "fs_type"));
    assertTrue(Allocation.fromWire(attribute(parameters, "allocation")).isPresent());

    // A volume made by volumectl: its external id is volumed's CSI volume id, "<pool>/<name>".
    String registered = Files.readString(NOMAD.resolve("volume-register.hcl"));
    assertEquals(id, attribute(registered, "plugin_id"));
    String externalId = attribute(registered, "external_id");
    String pool = externalId.substring(0, Math.max(0, externalId.indexOf('/')));
    assertTrue(nomad.pools().stream().anyMatch(p -> p.name().equals(pool)), "pool of " + externalId);
    assertEquals(attribute(registered, "name"), externalId.substring(pool.length() + 1));
    assertTrue(registered.contains("\"" + nomad.csi().topologyKey() + "\" = "), "the topology key");
  }

  // --- the volumed.conf -----------------------------------------------------------------------

  /**
   * Over the packaged defaults, with NODE_NAME as the DaemonSet sets it. (volumed resolves after the
   * merge, from its environment; Typesafe Config cannot resolve a merged config against another
   * source, so the file is resolved first: the same result once NODE_NAME is set, and
   * {@link #volumedItselfTakesNodeNameFromItsEnvironment} checks volumed's own path.)
   */
  private static Config resolved(String conf) {
    return ConfigFactory.parseString(conf).resolveWith(ConfigFactory.parseMap(Map.of("NODE_NAME", NODE)))
        .withFallback(ConfigFactory.load()).resolve();
  }

  private static Settings settings(String conf) {
    Settings.Loaded loaded = Settings.load(resolved(conf));
    if (loaded instanceof Settings.Invalid invalid) {
      fail("volumed would not start: " + invalid.problems());
    }
    return ((Settings.Valid) loaded).settings();
  }

  /** The CSI socket's path on the host, as volumed's own container sees its endpoint. */
  private static String socketOnHost() {
    return onHost(container("volumed"), k8sSettings.csi().endpoint().orElseThrow().toString());
  }

  // --- the Kubernetes objects -----------------------------------------------------------------

  private static boolean isExample(JsonNode doc) {
    return Set.of("Pod", "PersistentVolumeClaim").contains(doc.path("kind").asText());
  }

  private static List<JsonNode> all(String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  private static JsonNode one(String kind) {
    List<JsonNode> found = all(kind);
    assertEquals(1, found.size(), "one " + kind);
    return found.get(0);
  }

  private static boolean hasContainer(String name) {
    for (JsonNode c : one("DaemonSet").path("spec").path("template").path("spec").path("containers")) {
      if (c.path("name").asText().equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode container(String name) {
    for (JsonNode c : one("DaemonSet").path("spec").path("template").path("spec").path("containers")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    return fail("no container " + name);
  }

  private static JsonNode volume(String name) {
    for (JsonNode v : one("DaemonSet").path("spec").path("template").path("spec").path("volumes")) {
      if (v.path("name").asText().equals(name)) {
        return v;
      }
    }
    return fail("no volume " + name);
  }

  /** The strings of a YAML list. */
  private static List<String> texts(JsonNode array) {
    List<String> texts = new ArrayList<>();
    array.forEach(n -> texts.add(n.asText()));
    return texts;
  }

  /** The value of "--flag=value" in a container's args. */
  private static String arg(JsonNode container, String flag) {
    return texts(container.path("args")).stream().filter(a -> a.startsWith(flag + "="))
        .map(a -> a.substring(flag.length() + 1)).findFirst().orElseGet(() -> {
          List<String> args = texts(container.path("args"));
          int at = args.indexOf(flag);
          return at >= 0 && at + 1 < args.size() ? args.get(at + 1) : fail(container.path("name") + ": no " + flag);
        });
  }

  private static String fieldRef(JsonNode container, String variable) {
    for (JsonNode env : container.path("env")) {
      if (env.path("name").asText().equals(variable)) {
        return env.path("valueFrom").path("fieldRef").path("fieldPath").asText();
      }
    }
    return fail(container.path("name") + ": no " + variable);
  }

  /** The container's mount that holds the path: the deepest mountPath above it. */
  private static JsonNode mountFor(JsonNode container, String path) {
    JsonNode best = null;
    for (JsonNode mount : container.path("volumeMounts")) {
      Path at = Path.of(mount.path("mountPath").asText());
      if (Path.of(path).startsWith(at) && (best == null || at.getNameCount() > Path.of(best.path("mountPath").asText()).getNameCount())) {
        best = mount;
      }
    }
    return best != null ? best : fail(container.path("name") + " does not see " + path);
  }

  /** Where a path inside the container is on the host, through its hostPath mount. */
  private static String onHost(JsonNode container, String path) {
    JsonNode mount = mountFor(container, path);
    JsonNode hostPath = volume(mount.path("name").asText()).path("hostPath");
    assertFalse(hostPath.isMissingNode(), path + " is on a hostPath volume");
    Path inside = Path.of(mount.path("mountPath").asText()).relativize(Path.of(path));
    return Path.of(hostPath.path("path").asText()).resolve(inside).normalize().toString();
  }

  // --- Nomad's HCL, by text --------------------------------------------------------------------

  /** The body of the first `name { ... }` block, braces balanced. */
  private static String block(String hcl, String name) {
    Matcher start = Pattern.compile("(?m)^\\s*" + Pattern.quote(name) + "\\s*\\{").matcher(hcl);
    assertTrue(start.find(), "a " + name + " block");
    int depth = 1;
    int i = start.end();
    for (; i < hcl.length() && depth > 0; i++) {
      depth += hcl.charAt(i) == '{' ? 1 : hcl.charAt(i) == '}' ? -1 : 0;
    }
    return hcl.substring(start.end(), i - 1);
  }

  /** A top-level `key = "value"` of an HCL body. */
  private static String attribute(String hcl, String key) {
    Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(key) + "\\s*=\\s*\"([^\"]*)\"").matcher(hcl);
    return m.find() ? m.group(1) : fail("no " + key);
  }
}

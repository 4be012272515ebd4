package dev.volumed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every object in deploy/kubernetes read into Kubernetes' own types (fabric8's model of the API):
 * the apiVersion is the kind's, and no field is unknown to the type, so a misspelt key (which
 * the API server would drop or refuse) is found here. No API server runs on this machine, and
 * kubectl validates only against one; kubeconform is not packaged for it.
 */
class DeployManifestsSchemaTest {
  private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
      Map.entry("Namespace", Namespace.class),
      Map.entry("ServiceAccount", ServiceAccount.class),
      Map.entry("ConfigMap", ConfigMap.class),
      Map.entry("Pod", Pod.class),
      Map.entry("PersistentVolumeClaim", PersistentVolumeClaim.class),
      Map.entry("DaemonSet", DaemonSet.class),
      Map.entry("ClusterRole", ClusterRole.class),
      Map.entry("ClusterRoleBinding", ClusterRoleBinding.class),
      Map.entry("Role", Role.class),
      Map.entry("RoleBinding", RoleBinding.class),
      Map.entry("CSIDriver", CSIDriver.class),
      Map.entry("StorageClass", StorageClass.class));

  @Test
  void everyObjectHasItsKindsApiVersionAndOnlyKnownFields() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    int read = 0;
    List<Path> files;
    try (Stream<Path> walk = Files.walk(Path.of("deploy/kubernetes"))) {
      files = walk.filter(f -> f.toString().endsWith(".yaml") && !f.endsWith("kustomization.yaml")).sorted().toList();
    }
    for (Path file : files) {
      for (JsonNode doc : yaml.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile()).readAll()) {
        if (doc == null || doc.isNull()) {
          continue;
        }
        String kind = doc.path("kind").asText();
        Class<? extends HasMetadata> type = KINDS.get(kind);
        assertNotNull(type, file + ": a kind this test knows: " + kind);
        HasMetadata object = yaml.treeToValue(doc, type);
        String where = file + " " + kind + " " + object.getMetadata().getName();
        assertEquals(HasMetadata.getApiVersion(type), object.getApiVersion(), where + ": apiVersion");
        List<String> unknown = new ArrayList<>();
        unknownFields(object, where, unknown, new IdentityHashMap<>());
        assertTrue(unknown.isEmpty(), "fields the API does not have: " + unknown);
        read++;
      }
    }
    assertTrue(read >= 14, read + " objects");
  }

  /** Every field Jackson could not place, anywhere in the object: fabric8 keeps those in additionalProperties. */
  private static void unknownFields(Object value, String where, List<String> unknown, Map<Object, Boolean> seen)
      throws Exception {
    if (value == null || seen.put(value, Boolean.TRUE) != null) {
      return;
    }
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        unknownFields(list.get(i), where + "[" + i + "]", unknown, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        unknownFields(e.getValue(), where + "." + e.getKey(), unknown, seen);
      }
      return;
    }
    if (!value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
        continue;
      }
      Object field = getter.invoke(value);
      if (getter.getName().equals("getAdditionalProperties")) {
        if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
          unknown.add(where + ": " + extra.keySet());
        }
      } else {
        unknownFields(field, where + "." + getter.getName().substring(3), unknown, seen);
      }
    }
  }
}

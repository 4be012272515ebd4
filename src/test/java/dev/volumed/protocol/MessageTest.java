package dev.volumed.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.VolumeException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Every request survives the wire: encoded as volumectl sends it and decoded as volumed reads
 * it, it is the request it was (after maven-mvnd's MessageTest); and each is the line it was.
 */
class MessageTest {
  private static final Requests.PoolCheck ANY_POOL = pool -> {};

  private static Request roundTrip(String id, Request request, String line) throws VolumeException {
    byte[] bytes = Codec.encode(Codec.request(id, request));
    assertEquals(line + "\n", new String(bytes, StandardCharsets.UTF_8), "the line on the wire");
    Requests.Message decoded = Requests.decode(bytes, ANY_POOL);
    assertEquals(new TextNode(id), decoded.id());
    assertEquals(request, decoded.request());
    return decoded.request();
  }

  @Test
  void ping() throws Exception {
    roundTrip("r1", new Request.Ping(), "{\"id\":\"r1\",\"op\":\"ping\"}");
  }

  @Test
  void pools() throws Exception {
    roundTrip("r2", new Request.Pools(), "{\"id\":\"r2\",\"op\":\"pools\"}");
  }

  @Test
  void createWithOnlyWhatWasGiven() throws Exception {
    roundTrip("r3", new Request.Create("default", VolumeArgs.given("vm1/var.img", "10G", Optional.empty(),
            Optional.empty(), Optional.empty(), List.of())),
        "{\"id\":\"r3\",\"op\":\"create\",\"pool\":\"default\",\"name\":\"vm1/var.img\",\"size\":\"10G\"}");
  }

  @Test
  void createWithEveryArgument() throws Exception {
    roundTrip("r4", new Request.Create("fast", VolumeArgs.given("vm1/var.img", "1073741824", Optional.of("ext4"),
            Optional.of("var"), Optional.of("full"), List.of("-O", "^has_journal"))),
        "{\"id\":\"r4\",\"op\":\"create\",\"pool\":\"fast\",\"name\":\"vm1/var.img\",\"size\":1073741824,"
            + "\"fs\":\"ext4\",\"label\":\"var\",\"allocation\":\"full\",\"mkfsArgs\":[\"-O\",\"^has_journal\"]}");
  }

  @Test
  void batchCarriesItsVolumesAsWritten() throws Exception {
    ObjectNode odd = JsonNodeFactory.instance.objectNode().put("name", "b.img").put("size", true).put("extra", 1);
    Request.Batch batch = new Request.Batch("default", false, true, List.of(
        VolumeArgs.given("a.img", "16M", Optional.of("xfs"), Optional.empty(), Optional.empty(), List.of()),
        new VolumeArgs(odd)));
    roundTrip("r5", batch, "{\"id\":\"r5\",\"op\":\"batch\",\"pool\":\"default\",\"atomic\":false,\"progress\":true,"
        + "\"volumes\":[{\"name\":\"a.img\",\"size\":\"16M\",\"fs\":\"xfs\"},{\"name\":\"b.img\",\"size\":true,\"extra\":1}]}");
  }

  @Test
  void get() throws Exception {
    roundTrip("r6", new Request.Get("p", "a.img"), "{\"id\":\"r6\",\"op\":\"get\",\"pool\":\"p\",\"name\":\"a.img\"}");
  }

  @Test
  void listOfOnePoolOrOfAll() throws Exception {
    roundTrip("r7", new Request.ListVolumes(Optional.of("p")), "{\"id\":\"r7\",\"op\":\"list\",\"pool\":\"p\"}");
    roundTrip("r8", new Request.ListVolumes(Optional.empty()), "{\"id\":\"r8\",\"op\":\"list\"}");
  }

  @Test
  void delete() throws Exception {
    roundTrip("r9", new Request.Delete("p", "a.img"), "{\"id\":\"r9\",\"op\":\"delete\",\"pool\":\"p\",\"name\":\"a.img\"}");
  }

  @Test
  void preallocateWithItsModeAndProgress() throws Exception {
    roundTrip("r10", new Request.Preallocate("p", "a.img", Allocation.FULL, true),
        "{\"id\":\"r10\",\"op\":\"preallocate\",\"pool\":\"p\",\"name\":\"a.img\",\"mode\":\"full\",\"progress\":true}");
    roundTrip("r11", new Request.Preallocate("p", "a.img", Allocation.FALLOCATE, false),
        "{\"id\":\"r11\",\"op\":\"preallocate\",\"pool\":\"p\",\"name\":\"a.img\",\"mode\":\"fallocate\",\"progress\":false}");
  }

  @Test
  void resizeAndReclaim() throws Exception {
    roundTrip("r12", new Request.Resize("p", "a.img", 8192, true),
        "{\"id\":\"r12\",\"op\":\"resize\",\"pool\":\"p\",\"name\":\"a.img\",\"size\":8192,\"progress\":true}");
    roundTrip("r13", new Request.Resize("p", "a.img", 8192, false),
        "{\"id\":\"r13\",\"op\":\"resize\",\"pool\":\"p\",\"name\":\"a.img\",\"size\":8192}");
    roundTrip("r14", new Request.Reclaim("p", "a.img"), "{\"id\":\"r14\",\"op\":\"reclaim\",\"pool\":\"p\",\"name\":\"a.img\"}");
  }

  @Test
  void watch() throws Exception {
    roundTrip("w1", new Request.Watch(Optional.of("p")), "{\"id\":\"w1\",\"op\":\"watch\",\"pool\":\"p\"}");
    roundTrip("w2", new Request.Watch(Optional.empty()), "{\"id\":\"w2\",\"op\":\"watch\"}");
  }

  @Test
  void everyOpHasItsRequest() throws Exception {
    for (Op op : Op.values()) {
      assertEquals(Optional.of(op), Op.fromWire(op.wireName()));
    }
    assertEquals(Optional.empty(), Op.fromWire("PING"));
  }

  @Test
  void aRequestWithoutIdIsSentWithout() throws Exception {
    assertEquals("{\"op\":\"ping\"}", new String(Codec.encode(Codec.request(null, new Request.Ping())),
        StandardCharsets.UTF_8).strip());
  }

  @Test
  void replyAndEventLines() {
    assertEquals("{\"id\":\"r1\",\"ok\":true,\"result\":{\"deleted\":\"a.img\"}}\n", line(Codec.ok(new TextNode("r1"),
        JsonNodeFactory.instance.objectNode().put("deleted", "a.img"))));
    assertEquals("{\"id\":null,\"ok\":false,\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no\"}}\n",
        line(Codec.error(null, ErrorCode.NOT_FOUND, "no", Map.of())));
    assertEquals("{\"id\":7,\"ok\":false,\"error\":{\"code\":\"BAD_REQUEST\",\"message\":\"m\",\"details\":{\"index\":2}}}\n",
        line(Codec.error(JsonNodeFactory.instance.numberNode(7),
            new VolumeException(ErrorCode.BAD_REQUEST, "m", Map.of("index", 2), null))));
    assertEquals("{\"id\":\"b\",\"event\":\"progress\"}\n", line(Codec.event(new TextNode("b"), "progress")));
  }

  @Test
  void poolDefaultsFillWhatACreateLeavesOut() throws Exception {
    Request.Create create = (Request.Create) roundTrip("d", new Request.Create("default", VolumeArgs.given("a.img",
        "4096", Optional.empty(), Optional.empty(), Optional.empty(), List.of())),
        "{\"id\":\"d\",\"op\":\"create\",\"pool\":\"default\",\"name\":\"a.img\",\"size\":4096}");
    var spec = create.volume().spec(new PoolDefaults(dev.volumed.model.FileSystemType.XFS, Allocation.FULL),
        new dev.volumed.model.MkfsArgsPolicy(Map.of()));
    assertEquals(dev.volumed.model.FileSystemType.XFS, spec.fs());
    assertEquals(Allocation.FULL, spec.allocation());
    assertEquals(4096, spec.size());
  }

  private static String line(ObjectNode message) {
    return new String(Codec.encode(message), StandardCharsets.UTF_8);
  }
}

package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class RequestsTest {

  private static JsonNode request(String... args) throws Exception {
    return CliTest.parse(OneRequest.class, args).request("r1");
  }

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text.replace('\'', '"'));
  }

  @Test
  void ping() throws Exception {
    assertEquals(json("{'id':'r1','op':'ping'}"), request("ping"));
  }

  @Test
  void pools() throws Exception {
    assertEquals(json("{'id':'r1','op':'pools'}"), request("--json", "pools"));
  }

  @Test
  void createSendsOnlyWhatWasGivenPlusThePool() throws Exception {
    assertEquals(
        json("{'id':'r1','op':'create','pool':'default','name':'vm1/var.img','size':'10G'}"),
        request("create", "vm1/var.img", "--size", "10G"));
  }

  @Test
  void createWithEveryArgument() throws Exception {
    assertEquals(
        json(
            "{'id':'r1','op':'create','pool':'fast','name':'vm1/var.img','size':'512MiB','fs':'ext4',"
                + "'label':'var','allocation':'full','mkfsArgs':['-O','^has_journal']}"),
        request(
            "create", "vm1/var.img", "--size", "512MiB", "--pool", "fast", "--fs", "ext4", "--label", "var",
            "--allocation", "full", "--mkfs-arg", "-O", "--mkfs-arg", "^has_journal"));
  }

  @Test
  void createSendsAPlainByteCountAsANumber() throws Exception {
    JsonNode size = request("create", "a.img", "--size", "1073741824").get("size");
    assertTrue(size.isIntegralNumber());
    assertEquals(1073741824L, size.asLong());
  }

  @Test
  void createLeavesSizesWithUnitsOrGarbageToTheDaemon() throws Exception {
    assertTrue(request("create", "a.img", "--size", "10G").get("size").isTextual());
    assertEquals("-1", request("create", "a.img", "--size=-1").get("size").asText());
    assertEquals("99999999999999999999", request("create", "a.img", "--size", "99999999999999999999").get("size").asText());
  }

  @Test
  void getAndDeleteNameThePool() throws Exception {
    assertEquals(json("{'id':'r1','op':'get','pool':'default','name':'a.img'}"), request("get", "a.img"));
    assertEquals(json("{'id':'r1','op':'get','pool':'p','name':'a.img'}"), request("get", "a.img", "--pool", "p"));
    assertEquals(json("{'id':'r1','op':'delete','pool':'default','name':'a.img'}"), request("delete", "a.img"));
    assertEquals(json("{'id':'r1','op':'delete','pool':'p','name':'a.img'}"), request("delete", "--pool=p", "a.img"));
  }

  @Test
  void listOmitsThePoolUnlessGiven() throws Exception {
    assertEquals(json("{'id':'r1','op':'list'}"), request("list"));
    assertEquals(json("{'id':'r1','op':'list','pool':'p'}"), request("list", "--pool", "p"));
  }

  @Test
  void requestsAreOneLineOfJson() throws Exception {
    String line = Json.MAPPER.writeValueAsString(request("create", "a b.img", "--size", "1G", "--label", "x\ny"));
    assertTrue(!line.contains("\n"), line);
  }

  @Test
  void freshIdsDiffer() {
    assertNotEquals(Requests.freshId(), Requests.freshId());
  }
}

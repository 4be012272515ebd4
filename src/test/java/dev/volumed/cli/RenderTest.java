package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class RenderTest {

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text.replace('\'', '"'));
  }

  private static final String VOLUME =
      "{'pool':'default','name':'vm1/var.img','path':'/p/vm1/var.img','size':10737418240,'fs':'ext4',"
          + "'label':null,'allocation':'sparse','allocatedBytes':4096,'state':'ready',"
          + "'createdAt':'2025-11-25T14:00:01.123456Z'}";

  @Test
  void ping() throws Exception {
    assertEquals("volumed 0.1.0, protocol 1\n", Render.ping(json("{'version':'0.1.0','protocol':1}")));
  }

  @Test
  void poolsTableHasEveryColumnInHumanUnits() throws Exception {
    String out =
        Render.pools(
            json(
                "{'pools':[{'name':'default','path':'/srv/p','capacityBytes':1649267441664,'reservedPercent':5,"
                    + "'maxOvercommitRatio':4.0,'committedBytes':0,'provisionedBytes':10737418240,"
                    + "'allocatedBytes':512,'filesystemFreeBytes':4096,'availableForFallocateBytes':null,"
                    + "'availableForSparseBytes':1536,'level':'warn','allocatedPercent':81.25,"
                    + "'filesystemUsedPercent':12.0}]}"));
    String[] lines = out.split("\n");
    assertEquals(2, lines.length);
    assertEquals(
        "NAME PATH LEVEL ALLOC% FS-USED% CAPACITY COMMITTED PROVISIONED ALLOCATED FS-FREE AVAIL-FALLOCATE AVAIL-SPARSE"
            + " OVERCOMMIT",
        lines[0].replaceAll(" +", " "));
    assertEquals(
        "default /srv/p warn 81.2 12.0 1.5 TiB 0 B 10.0 GiB 512 B 4.0 KiB - 1.5 KiB 4.0x", lines[1].replaceAll(" +", " "));
    assertEquals(lines[0].length(), lines[1].length(), "right-aligned last column lines up");
  }

  @Test
  void listTable() throws Exception {
    String out = Render.volumes(json("{'volumes':[" + VOLUME + "]}"));
    assertEquals(
        ""
            + "POOL     NAME             SIZE  ALLOCATED  FS    LABEL  ALLOCATION  STATE  CREATED\n"
            + "default  vm1/var.img  10.0 GiB    4.0 KiB  ext4  -      sparse      ready  2025-11-25T14:00:01Z\n",
        out);
  }

  @Test
  void emptyListIsTheHeader() throws Exception {
    assertTrue(Render.volumes(json("{'volumes':[]}")).startsWith("POOL"));
    assertEquals(1, Render.volumes(json("{'volumes':[]}")).split("\n").length);
  }

  @Test
  void volumeAsKeyValueLines() throws Exception {
    String out = Render.volume(json(VOLUME));
    assertEquals(
        ""
            + "pool:        default\n"
            + "name:        vm1/var.img\n"
            + "path:        /p/vm1/var.img\n"
            + "size:        10.0 GiB (10737418240 bytes)\n"
            + "fs:          ext4\n"
            + "label:       -\n"
            + "allocation:  sparse\n"
            + "allocated:   4.0 KiB (4096 bytes)\n"
            + "state:       ready\n"
            + "created:     2025-11-25T14:00:01Z\n",
        out);
    assertFalse(out.contains("existed"));
  }

  @Test
  void createSaysWhenTheVolumeExisted() throws Exception {
    String out = Render.volume(json(VOLUME.replace("}", ",'existed':true}")));
    assertTrue(out.endsWith("existed:     true\n"), out);
  }

  @Test
  void deleted() throws Exception {
    assertEquals("deleted vm1/var.img\n", Render.deleted(json("{'deleted':'vm1/var.img'}"), "other"));
    assertEquals("deleted a.img\n", Render.deleted(json("{}"), "a.img"));
  }

  @Test
  void errorWithDetails() throws Exception {
    Reply.Failure failure =
        new Reply.Failure(
            json("{'code':'INSUFFICIENT_SPACE','message':'needs 10 GiB, 2 GiB free','details':{'needed':10,'names':['a']}}"));
    assertEquals(
        "error INSUFFICIENT_SPACE: needs 10 GiB, 2 GiB free\n  needed: 10\n  names: [\"a\"]\n",
        Render.error(failure));
    assertEquals(
        "error NOT_FOUND: no such volume\n",
        Render.error(new Reply.Failure(json("{'code':'NOT_FOUND','message':'no such volume'}"))));
  }

  @Test
  void unreadableTimesAreShownAsSent() throws Exception {
    assertEquals("yesterday", Render.time(json("'yesterday'")));
    assertEquals("2025-11-25T12:00:00Z", Render.time(json("'2025-11-25T14:00:00.5+02:00'")));
  }

  @Test
  void aDamagedVolumeShowsItsReasonInGetAndUnderTheList() throws Exception {
    String damaged = VOLUME.replace("'state':'ready'", "'state':'damaged','damage':'image is 1 byte long, its metadata says 10737418240'");
    String one = Render.volume(json(damaged));
    assertTrue(one.contains("state:       damaged\n"), one);
    assertTrue(one.contains("damage:      image is 1 byte long, its metadata says 10737418240\n"), one);
    assertFalse(Render.volume(json(VOLUME)).contains("damage:"));
    String list = Render.volumes(json("{'volumes':[" + damaged + "]}"));
    assertTrue(list.endsWith("damaged: default vm1/var.img: image is 1 byte long, its metadata says 10737418240\n"), list);
  }

  @Test
  void poolsThatCannotUseTheirBooksAreNamedAfterPingPoolsAndList() throws Exception {
    String unavailable = "'unavailable':[{'name':'fast','path':'/nvme/v','error':{'code':'IO_ERROR','message':'cannot load'}}]";
    String line = "unavailable: pool fast (/nvme/v): IO_ERROR cannot load\n";
    assertEquals("volumed 0.1.0, protocol 1\n" + line, Render.ping(json("{'version':'0.1.0','protocol':1," + unavailable + "}")));
    assertTrue(Render.pools(json("{'pools':[]," + unavailable + "}")).endsWith(line));
    assertTrue(Render.volumes(json("{'volumes':[]," + unavailable + "}")).endsWith(line));
  }

  @Test
  void poolsSayWhatEachFileSystemCanDo() throws Exception {
    com.fasterxml.jackson.databind.JsonNode result = Json.MAPPER.readTree("{\"pools\":[{\"name\":\"default\","
        + "\"capabilities\":{\"holes\":true,\"fallocate\":false,\"reflink\":true,\"nocow\":false}},"
        + "{\"name\":\"fat\",\"capabilities\":{\"holes\":false,\"fallocate\":false,\"reflink\":false,\"nocow\":false}}]}");
    assertEquals("can do: pool default: holes, reflink\ncan do: pool fat: none of holes, fallocate, reflink, nocow\n",
        Render.capabilities(result));
  }
}

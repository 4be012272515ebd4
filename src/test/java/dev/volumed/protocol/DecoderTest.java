package dev.volumed.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.model.Allocation;
import dev.volumed.model.ErrorCode;
import dev.volumed.model.FileSystemType;
import dev.volumed.model.MkfsArgsPolicy;
import dev.volumed.model.VolumeException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The decoder's checks: each fault's code and wording, and which fault a request with several is refused for. */
class DecoderTest {
  private static final PoolDefaults DEFAULTS = new PoolDefaults(FileSystemType.EXT4, Allocation.SPARSE);
  private static final MkfsArgsPolicy NO_ARGS = new MkfsArgsPolicy(Map.of());

  /** Knows only the pool "default". */
  private static final Requests.PoolCheck POOLS = pool -> {
    if (!pool.equals("default")) {
      throw new VolumeException(ErrorCode.UNKNOWN_POOL, "no pool \"" + pool + "\"");
    }
  };

  private static Request decode(String json) throws VolumeException {
    return Requests.decode(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8), POOLS).request();
  }

  private static VolumeException refused(String json) {
    return assertThrows(VolumeException.class, () -> {
      Request request = decode(json);
      if (request instanceof Request.Create create) {
        create.volume().spec(DEFAULTS, NO_ARGS);
      } else if (request instanceof Request.Batch batch) {
        Requests.specs(batch, DEFAULTS, NO_ARGS, 2);
      }
    });
  }

  @Test
  void theOpMessagesNameEveryOp() {
    assertEquals("every request needs an \"op\" string: ping, pools, create, batch, get, list, delete, preallocate,"
        + " resize, reclaim or watch", refused("{'op':7}").getMessage());
    VolumeException unknown = refused("{'op':'mount'}");
    assertEquals(ErrorCode.UNKNOWN_OP, unknown.code());
    assertEquals("unknown op \"mount\"; volumed knows ping, pools, create, batch, get, list, delete, preallocate,"
        + " resize, reclaim and watch",
        unknown.getMessage());
  }

  @Test
  void aLineThatIsNoObjectOrHasABadIdIsBadRequest() {
    assertEquals(ErrorCode.BAD_REQUEST, refused("[1]").code());
    assertTrue(refused("{'id':{'a':1},'op':'ping'}").getMessage().startsWith("\"id\" is an object"));
    assertTrue(refused("{'id':'" + "x".repeat(129) + "','op':'ping'}").getMessage().startsWith("\"id\" is a string of 129"));
  }

  @Test
  void thePoolIsCheckedBeforeTheArguments() {
    assertEquals(ErrorCode.UNKNOWN_POOL, refused("{'op':'create','pool':'nope','name':'../x','size':'lots'}").code());
    assertEquals(ErrorCode.UNKNOWN_POOL, refused("{'op':'batch','pool':'nope','atomic':'yes'}").code());
    assertEquals(ErrorCode.UNKNOWN_POOL, refused("{'op':'get','pool':'nope','name':''}").code());
    assertEquals(ErrorCode.UNKNOWN_POOL, refused("{'op':'list','pool':'nope'}").code());
    assertEquals("\"pool\" must be a string, got 3", refused("{'op':'delete','pool':3,'name':'a.img'}").getMessage());
  }

  @Test
  void aCreatesArgumentsAreCheckedInOrder() {
    assertEquals(ErrorCode.INVALID_NAME, refused("{'op':'create','name':'../x','size':'lots','fs':'zfs'}").code());
    assertTrue(refused("{'op':'create','name':'a.img','size':'lots','fs':'zfs'}").getMessage()
        .startsWith("size \"lots\" is not"));
    assertEquals("\"fs\" \"zfs\" is not known; use one of ext4, ext3, ext2, xfs, btrfs, vfat, swap, none",
        refused("{'op':'create','name':'a.img','size':4096,'fs':'zfs','allocation':'thick'}").getMessage());
    assertTrue(refused("{'op':'create','name':'a.img','size':4097}").getMessage()
        .startsWith("\"size\" 4097 (4097 bytes) is not a multiple of 4096 bytes"));
    assertEquals("\"size\" is required; give a positive number of bytes, or a string like \"512M\" or \"10G\""
        + " (units K, M, G, T or KiB, MiB, GiB, TiB), a multiple of 4096 bytes",
        refused("{'op':'create','name':'a.img','size':null}").getMessage());
    assertEquals("fs \"none\" is not formatted; leave \"mkfsArgs\" out",
        refused("{'op':'create','name':'a.img','size':4096,'fs':'none','mkfsArgs':['-q']}").getMessage());
  }

  @Test
  void aBatchSaysWhichVolumeIsWrong() {
    assertEquals("a batch needs \"volumes\": a non-empty array of create arguments (name, size, fs, ...)",
        refused("{'op':'batch','volumes':[]}").getMessage());
    assertEquals("\"atomic\" must be true or false, got \"yes\"", refused("{'op':'batch','atomic':'yes'}").getMessage());
    assertEquals("a batch may name at most 2 volumes (volumed.batch.max-volumes), this one names 3; split it",
        refused("{'op':'batch','volumes':[1,2,3]}").getMessage());
    VolumeException first = refused("{'op':'batch','volumes':[{'name':'a.img','size':'x'},7]}");
    assertTrue(first.getMessage().startsWith("volumes[0]: size \"x\""), first.getMessage());
    assertEquals(Map.of("index", 0), first.details());
    assertEquals("volumes[1]: it is not an object of create arguments",
        refused("{'op':'batch','volumes':[{'name':'a.img','size':4096},7]}").getMessage());
    assertEquals("volumes[0]: it names a pool; a batch has one pool, given beside \"volumes\"",
        refused("{'op':'batch','volumes':[{'pool':'default','name':'a.img','size':4096}]}").getMessage());
  }

  @Test
  void absentAndNullArgumentsAreTheSame() throws Exception {
    assertEquals(new Request.Get("default", "a.img"), decode("{'op':'get','pool':null,'name':'a.img'}"));
    assertEquals(new Request.ListVolumes(java.util.Optional.empty()), decode("{'op':'list','pool':null}"));
    Request.Batch batch = (Request.Batch) decode("{'op':'batch','atomic':null,'volumes':[{'name':'a.img','size':4096}]}");
    assertTrue(batch.atomic());
    assertEquals(false, batch.progress());
  }
}

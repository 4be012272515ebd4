package dev.volumed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class BatchReportTest {
  private static final long SECOND = 1_000_000_000L;

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text);
  }

  private static final String SPECS = """
      [{"name": "vm1/var.img", "size": "8192M", "fs": "ext4", "label": "var", "allocation": "sparse"},
       {"name": "vm1/small.img", "size": "16M", "fs": "xfs"},
       {"name": "vm1/raw.img", "size": 16777216, "fs": "none", "allocation": "full"}]
      """;

  @Test
  void summaryListsEveryVolumeInTheOrderAskedWithATotal() throws Exception {
    JsonNode result = json("""
        {"created": [
           {"pool": "default", "name": "vm1/raw.img", "size": 16777216, "fs": "none", "allocation": "full"},
           {"pool": "default", "name": "vm1/var.img", "size": 8589934592, "fs": "ext4", "allocation": "sparse",
            "existed": true}],
         "failed": [{"name": "vm1/small.img",
                     "error": {"code": "FORMAT_FAILED", "message": "mkfs.xfs failed:\\nFilesystem must be larger than 300MB."}}],
         "stats": {"volumes": 3, "parallelism": 4, "maxConcurrentWorkers": 2, "millis": 1500}}
        """);
    assertEquals("""
        NAME               SIZE  FS    ALLOCATION  OUTCOME
        vm1/var.img     8.0 GiB  ext4  sparse      existed
        vm1/small.img  16.0 MiB  xfs   -           failed FORMAT_FAILED: mkfs.xfs failed: Filesystem must be larger than 300MB.
        vm1/raw.img    16.0 MiB  none  full        created
        1 created, 1 existed, 1 failed in 1.5 s (2.0 volumes/s)
        """, BatchReport.summary(json(SPECS), result, 1_500_000_000L));
  }

  @Test
  void outcomesOfARolledBackBatchShowWhatBecameOfEachVolume() throws Exception {
    JsonNode outcomes = json("""
        [{"name": "vm1/var.img", "outcome": "rolled back"},
         {"name": "vm1/small.img", "outcome": "failed", "error": {"code": "FORMAT_FAILED", "message": "too small"}},
         {"name": "vm1/raw.img", "outcome": "existed"}]
        """);
    assertEquals("""
        NAME               SIZE  FS    ALLOCATION  OUTCOME
        vm1/var.img     8.0 GiB  ext4  sparse      rolled back
        vm1/small.img  16.0 MiB  xfs   -           failed FORMAT_FAILED: too small
        vm1/raw.img    16.0 MiB  none  full        existed
        0 created, 1 existed, 1 rolled back, 1 failed in 2:05 (0.02 volumes/s)
        """, BatchReport.outcomes(json(SPECS), outcomes, 125 * SECOND));
  }

  @Test
  void errorLeavesOutTheOutcomesAndNamesTheVolumeAnIndexPointsAt() throws Exception {
    JsonNode specs = json(SPECS);
    Reply.Failure invalid = new Reply.Failure(json(
        "{\"code\": \"INVALID_NAME\", \"message\": \"volumes[1]: bad\", \"details\": {\"index\": 1}}"));
    assertEquals("error INVALID_NAME: volumes[1]: bad\n  index: 1\n  volume: vm1/small.img\n",
        BatchReport.error(invalid, specs));
    Reply.Failure rolledBack = new Reply.Failure(json(
        "{\"code\": \"FORMAT_FAILED\", \"message\": \"rolled back\", \"details\": {\"outcomes\": []}}"));
    assertEquals("error FORMAT_FAILED: rolled back\n", BatchReport.error(rolledBack, specs));
  }

  @Test
  void specSizesReadAsBinaryUnits() throws Exception {
    assertEquals("8.0 GiB", BatchReport.specSize(json("\"8192M\"")));
    assertEquals("1.0 TiB", BatchReport.specSize(json("\"1TiB\"")));
    assertEquals("4.0 KiB", BatchReport.specSize(json("4096")));
    assertEquals("lots", BatchReport.specSize(json("\"lots\"")));
    // The daemon's grammar: units in any case, and B.
    assertEquals("8.0 GiB", BatchReport.specSize(json("\"8g\"")));
    assertEquals("512 B", BatchReport.specSize(json("\"512B\"")));
    assertEquals("10GB", BatchReport.specSize(json("\"10GB\"")), "not the daemon's grammar: shown as written");
    assertEquals("-", BatchReport.specSize(json("null")));
  }
}

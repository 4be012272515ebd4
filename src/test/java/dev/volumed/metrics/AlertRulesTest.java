package dev.volumed.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.volumed.testing.Tools;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shipped alerting rules: valid for Prometheus, and they fire (and clear) when they should. */
class AlertRulesTest {
  static final Path RULES = Path.of("packaging/prometheus/volumed-rules.yml");
  static final Path RULES_TEST = Path.of("packaging/prometheus/volumed-rules.test.yml");

  @BeforeEach
  void promtool() {
    Tools.assumeInstalled("promtool");
  }

  @Test
  void promtoolAcceptsTheRules() throws Exception {
    Promtool.Result check = Promtool.run(null, "check", "rules", RULES.toString());
    assertEquals(0, check.exitCode(), check::output);
    assertTrue(check.output().contains("SUCCESS: 2 rules found"), check::output);
  }

  @Test
  void theAlertsFireAfterTheirForAndClear() throws Exception {
    Promtool.Result test = Promtool.run(null, "test", "rules", RULES_TEST.toString());
    assertEquals(0, test.exitCode(), test::output);
    assertTrue(test.output().contains("SUCCESS"), test::output);
  }
}

package dev.volumed;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Packages point one way: model at the bottom; settings, protocol and accounting on it; disk and
 * the metrics on those; the actors above; the front end, the CSI services and the CLI on top;
 * systemd's protocols (socket activation, readiness) beside the front end; the host's loop devices
 * and mounts (node) under the CSI services alone; Main and the guardian (this package) wire
 * everything. A package cycle, or an arrow the wrong way, fails here.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.volumed");
  }

  @Test
  void noPackageCycles() {
    slices().matching("dev.volumed.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void modelDependsOnNothingElseOfVolumed() {
    noClasses().that().resideInAPackage("dev.volumed.model..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.settings..",
            "dev.volumed.protocol..", "dev.volumed.accounting..", "dev.volumed.disk..", "dev.volumed.actors..",
            "dev.volumed.frontend..", "dev.volumed.cli..", "dev.volumed.metrics..", "dev.volumed.csi..",
            "dev.volumed.node..")
        .check(classes);
  }

  @Test
  void settingsAndAccountingStandOnTheModelOnly() {
    noClasses().that().resideInAnyPackage("dev.volumed.settings..", "dev.volumed.accounting..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.protocol..",
            "dev.volumed.disk..", "dev.volumed.actors..", "dev.volumed.frontend..", "dev.volumed.cli..",
            "dev.volumed.metrics..")
        .check(classes);
  }

  @Test
  void theWireVocabularyStandsOnTheModelOnly() {
    noClasses().that().resideInAPackage("dev.volumed.protocol..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.settings..",
            "dev.volumed.accounting..", "dev.volumed.disk..", "dev.volumed.actors..", "dev.volumed.frontend..",
            "dev.volumed.cli..", "dev.volumed.metrics..")
        .check(classes);
  }

  @Test
  void diskKnowsNoProtocolActorsFrontEndOrCli() {
    noClasses().that().resideInAPackage("dev.volumed.disk..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.protocol..",
            "dev.volumed.accounting..", "dev.volumed.actors..", "dev.volumed.frontend..", "dev.volumed.cli..",
            "dev.volumed.metrics..")
        .check(classes);
  }

  /** The metrics sit below the actors and the front end: they know the model, the settings and the Prometheus client. */
  @Test
  void metricsStandOnTheModelSettingsAndThePrometheusClientOnly() {
    classes().that().resideInAPackage("dev.volumed.metrics..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("dev.volumed.metrics..", "dev.volumed.model..",
            "dev.volumed.settings..", "io.prometheus.metrics..", "org.slf4j..", "java..")
        .check(classes);
  }

  @Test
  void actorsKnowNoWireFrontEndOrCli() {
    noClasses().that().resideInAPackage("dev.volumed.actors..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.protocol..",
            "dev.volumed.frontend..", "dev.volumed.cli..")
        .check(classes);
  }

  @Test
  void frontEndReachesPoolsOnlyThroughTheirActors() {
    noClasses().that().resideInAPackage("dev.volumed.frontend..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.disk..",
            "dev.volumed.cli..")
        .check(classes);
  }

  @Test
  void systemdIsWiredInByTheRootAloneAndKnowsOnlyThePoolActors() {
    noClasses().that().resideOutsideOfPackages("dev.volumed", "dev.volumed.systemd..")
        .should().dependOnClassesThat().resideInAPackage("dev.volumed.systemd..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.volumed.systemd..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.protocol..",
            "dev.volumed.disk..", "dev.volumed.frontend..", "dev.volumed.cli..")
        .check(classes);
  }

  /** CSI is a client of the pool managers like the front end: it never reaches a pool's files itself. */
  @Test
  void csiReachesPoolsOnlyThroughTheirActors() {
    noClasses().that().resideInAPackage("dev.volumed.csi..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.disk..",
            "dev.volumed.frontend..", "dev.volumed.cli..", "dev.volumed.protocol..")
        .check(classes);
    noClasses().that().resideOutsideOfPackages("dev.volumed", "dev.volumed.csi..")
        .should().dependOnClassesThat().resideInAPackage("dev.volumed.csi..")
        .check(classes);
  }

  /** The host's loop devices and mounts: blocking calls on the model alone, used by the CSI node service. */
  @Test
  void nodeStandsOnTheModelAloneAndServesOnlyCsi() {
    noClasses().that().resideInAPackage("dev.volumed.node..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.settings..",
            "dev.volumed.protocol..", "dev.volumed.accounting..", "dev.volumed.disk..", "dev.volumed.actors..",
            "dev.volumed.frontend..", "dev.volumed.cli..", "dev.volumed.metrics..", "dev.volumed.csi..")
        .check(classes);
    noClasses().that().resideOutsideOfPackages("dev.volumed", "dev.volumed.csi..", "dev.volumed.node..")
        .should().dependOnClassesThat().resideInAPackage("dev.volumed.node..")
        .check(classes);
  }

  @Test
  void cliUsesOnlyTheWireVocabularyAndTheModel() {
    noClasses().that().resideInAPackage("dev.volumed.cli..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.volumed", "dev.volumed.settings..",
            "dev.volumed.accounting..", "dev.volumed.disk..", "dev.volumed.actors..", "dev.volumed.frontend..",
            "dev.volumed.metrics..")
        .check(classes);
  }
}

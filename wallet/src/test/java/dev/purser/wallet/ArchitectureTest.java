package dev.purser.wallet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class ArchitectureTest {

    private static final JavaClasses WALLET = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.purser.wallet");

    @Test
    void walletIsAPlainLibraryWithoutSpring() {
        noClasses().should().dependOnClassesThat().resideInAPackage("org.springframework..")
                .because("the wallet is a plain Java library that the Spring service uses, never the other way round")
                .check(WALLET);
    }

    @Test
    void walletNeverDependsOnTheSettlementService() {
        noClasses().should().dependOnClassesThat().resideInAPackage("dev.purser.settlement..")
                .check(WALLET);
    }

    @Test
    void keyCustodyDependsOnNeitherSigningFormatsNorTransactionSending() {
        noClasses().that().resideInAPackage("dev.purser.wallet.keys..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.purser.wallet.eip3009..", "dev.purser.wallet.tx..")
                .check(WALLET);
    }
}

package dev.purser.settlement;

import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;

/**
 * The feature packages of the service reach each other only through their public API types
 * (Spring Modulith: no access to another module's internals, no cycles).
 */
class ModularityTests {

    @Test
    void featurePackagesRespectTheirBoundaries() {
        ApplicationModules.of(PurserApplication.class).verify();
    }
}

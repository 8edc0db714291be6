package dev.purser.settlement.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Fresh data directories for service instances under test, inside the module's target folder so
 * that {@code mvn clean} removes whatever a test run left (an embedded PostgreSQL cluster each).
 */
public final class TestDataDirs {

    private TestDataDirs() {}

    public static Path create(String name) {
        try {
            Path base = Paths.get("target", "test-data").toAbsolutePath();
            Files.createDirectories(base);
            return Files.createTempDirectory(base, name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

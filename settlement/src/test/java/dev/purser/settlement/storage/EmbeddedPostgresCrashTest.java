package dev.purser.settlement.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.TestDataDirs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The local profile's data must persist across restarts and survive a kill -9 of the service.
 * A real child JVM starts the embedded PostgreSQL, writes a row and is killed with SIGKILL, which
 * leaves its postmaster running; the next start must take the cluster over with the row intact.
 */
class EmbeddedPostgresCrashTest {

    @Test
    void clusterSurvivesCleanRestart() throws Exception {
        Path dir = TestDataDirs.create("pg-restart").resolve("postgres");
        try (EmbeddedPostgresServer first = EmbeddedPostgresServer.start(dir)) {
            execute(first, "CREATE TABLE kept (v text)", "INSERT INTO kept VALUES ('before restart')");
        }
        try (EmbeddedPostgresServer second = EmbeddedPostgresServer.start(dir)) {
            assertThat(queryOne(second, "SELECT v FROM kept")).isEqualTo("before restart");
        }
    }

    @Test
    void clusterSurvivesKillMinusNineOfTheServiceAndItsStalePostmasterIsStopped() throws Exception {
        Path dir = TestDataDirs.create("pg-kill9").resolve("postgres");
        Process child = new ProcessBuilder(List.of(
                        Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"),
                        EmbeddedPostgresChild.class.getName(), dir.toString()))
                .redirectErrorStream(true)
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean ready = false;
            while ((line = out.readLine()) != null) {
                if (line.equals(EmbeddedPostgresChild.READY)) {
                    ready = true;
                    break;
                }
            }
            assertThat(ready).as("child JVM reported the row written").isTrue();
        }
        long stalePostmaster = Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).getFirst().trim());
        child.destroyForcibly(); // SIGKILL: no shutdown hook runs, the postmaster is orphaned
        assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcessHandle.of(stalePostmaster).map(ProcessHandle::isAlive)).contains(true);

        try (EmbeddedPostgresServer restarted = EmbeddedPostgresServer.start(dir)) {
            assertThat(queryOne(restarted, "SELECT v FROM kept")).isEqualTo("written before kill -9");
            assertThat(ProcessHandle.of(stalePostmaster).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        }
    }

    static void execute(EmbeddedPostgresServer server, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), server.user(), "");
                Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    private static String queryOne(EmbeddedPostgresServer server, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), server.user(), "");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}

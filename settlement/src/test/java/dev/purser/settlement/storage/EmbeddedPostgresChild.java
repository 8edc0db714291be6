package dev.purser.settlement.storage;

import java.nio.file.Paths;

/** The child JVM of {@link EmbeddedPostgresCrashTest}: starts PostgreSQL, writes, waits to be killed. */
public final class EmbeddedPostgresChild {

    static final String READY = "ROW-WRITTEN";

    private EmbeddedPostgresChild() {}

    public static void main(String[] args) throws Exception {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start(Paths.get(args[0]));
        EmbeddedPostgresCrashTest.execute(server, "CREATE TABLE kept (v text)",
                "INSERT INTO kept VALUES ('written before kill -9')");
        System.out.println(READY);
        System.out.flush();
        Thread.sleep(120_000); // the test kills this JVM long before
        System.exit(3);
    }
}

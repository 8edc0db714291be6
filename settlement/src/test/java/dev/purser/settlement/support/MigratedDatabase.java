package dev.purser.settlement.support;

import dev.purser.settlement.storage.EmbeddedPostgresServer;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A real PostgreSQL with Purser's migrations applied, without the rest of the service: for tests
 * of one store against the contract its interface promises. One per JVM, stopped at exit.
 */
public final class MigratedDatabase {

    private static MigratedDatabase instance;

    private final DataSource dataSource;

    private MigratedDatabase(EmbeddedPostgresServer server) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(server.jdbcUrl());
        ds.setUser(server.user());
        this.dataSource = ds;
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
    }

    public static synchronized MigratedDatabase shared() {
        if (instance == null) {
            EmbeddedPostgresServer server = EmbeddedPostgresServer.start(TestDataDirs.create("migrated").resolve("postgres"));
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "postgres-stop"));
            instance = new MigratedDatabase(server);
        }
        return instance;
    }

    public JdbcClient jdbc() {
        return JdbcClient.create(dataSource);
    }

    public TransactionTemplate tx() {
        return new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }
}

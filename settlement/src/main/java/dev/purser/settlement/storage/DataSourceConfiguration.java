package dev.purser.settlement.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.purser.settlement.config.PurserProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The one PostgreSQL that is the source of truth: the external one named by PURSER_DB_URL, or in
 * the local profile an embedded one kept in PURSER_DATA_DIR/postgres.
 */
@Configuration(proxyBeanMethods = false)
class DataSourceConfiguration {

    // Requests on one hot credential queue on its row lock while holding a connection: the pool is
    // sized for that, and a request that still cannot get one in time gets a 503, not a hang.
    private static final int POOL_SIZE_MAX = 50;

    @Bean(destroyMethod = "close")
    EmbeddedPostgresHolder embeddedPostgres(PurserProperties properties) {
        if (properties.externalDatabase()) {
            return new EmbeddedPostgresHolder(null);
        }
        if (!properties.deploymentProfile().isLocal()) {
            throw new IllegalStateException("PURSER_DB_URL is required with PURSER_PROFILE="
                    + properties.profile() + "; only the local profile runs an embedded PostgreSQL");
        }
        return new EmbeddedPostgresHolder(
                EmbeddedPostgresServer.start(properties.dataDir().toAbsolutePath().resolve("postgres")));
    }

    @Bean(destroyMethod = "close")
    HikariDataSource dataSource(PurserProperties properties, ObjectProvider<EmbeddedPostgresHolder> embedded) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("purser");
        config.setMaximumPoolSize(POOL_SIZE_MAX);
        config.setMinimumIdle(5);
        config.setConnectionTimeout(10_000);
        EmbeddedPostgresServer server = embedded.getObject().server();
        if (server == null) {
            config.setJdbcUrl(properties.db().url());
            config.setUsername(properties.db().user());
            config.setPassword(properties.db().password());
        } else {
            config.setJdbcUrl(server.jdbcUrl());
            config.setUsername(server.user());
        }
        return new HikariDataSource(config);
    }

    /** Holds the embedded server, or nothing when an external database is configured. */
    record EmbeddedPostgresHolder(EmbeddedPostgresServer server) implements AutoCloseable {
        @Override
        public void close() {
            if (server != null) {
                server.close();
            }
        }
    }

}

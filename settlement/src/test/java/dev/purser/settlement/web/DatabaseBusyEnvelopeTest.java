package dev.purser.settlement.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * API.md: every failure is the error envelope. That includes the moment every database connection
 * is busy (which load makes happen: see scripts/bench-authorize.sh), when the authentication and
 * idempotency filters cannot get a connection before the MVC exception handler is in play.
 */
class DatabaseBusyEnvelopeTest extends PurserTestBase {

    @Autowired
    HikariDataSource dataSource;

    @Test
    void aRequestThatCannotGetADatabaseConnectionIsAnsweredWithTheErrorEnvelope() throws Exception {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"1\",\"daily_limit\":\"10\"", 10_000_000);
        List<Connection> held = new ArrayList<>();
        Api.Response me;
        Api.Response hold;
        try {
            // Take every connection of the service's pool that is not held for good (leaders of
            // background work keep one each), as a burst of slow requests would.
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline) {
                try {
                    held.add(dataSource.getConnection());
                } catch (SQLTransientConnectionException busy) {
                    var pool = dataSource.getHikariPoolMXBean();
                    if (pool.getIdleConnections() == 0 && pool.getActiveConnections() >= dataSource.getMaximumPoolSize()) {
                        break;
                    }
                }
            }
            assertThat(dataSource.getHikariPoolMXBean().getIdleConnections()).isZero();
            assertThat(held).isNotEmpty();
            me = api().get("/v1/me", agent.secret());
            hold = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}");
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
        for (Api.Response r : List.of(me, hold)) {
            assertThat(r.status()).as(r.toString()).isBetween(500, 599);
            assertThat(r.body()).as("the error envelope, not the servlet container's error page").contains("\"ok\":false");
            assertThat(r.string("$.error.code")).as(r.toString()).isNotBlank();
        }
    }
}

package dev.purser.settlement.settlements;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who submits for a relayer key: the instance holding a session-level PostgreSQL advisory lock
 * on a connection it keeps open. When that instance dies, PostgreSQL ends its session and the
 * lock passes to the next instance that asks, within one settler tick.
 */
final class RelayerLeadership implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RelayerLeadership.class);

    private final DataSource dataSource;
    private final String lockName;
    private Connection connection;

    RelayerLeadership(DataSource dataSource, String relayer) {
        this.dataSource = dataSource;
        this.lockName = "purser.settler." + relayer.toLowerCase();
    }

    /** Whether this instance leads now: keeps the lock if held, tries to take it otherwise. */
    boolean holdOrAcquire() {
        try {
            if (connection != null) {
                if (connection.isValid(2)) {
                    return true;
                }
                log.warn("Lost the settler lock's connection; standing by");
                closeQuietly();
            }
            Connection c = dataSource.getConnection();
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
                ps.setString(1, lockName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        connection = c;
                        log.info("This instance now submits settlements ({})", lockName);
                        return true;
                    }
                }
            }
            c.close();
            return false;
        } catch (SQLException e) {
            closeQuietly();
            return false;
        }
    }

    boolean leading() {
        return connection != null;
    }

    private void closeQuietly() {
        if (connection != null) {
            try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock_all()")) {
                // The pool keeps the session open: give the lock back before the connection goes.
                ps.execute();
            } catch (SQLException ignored) {
                // A broken connection is evicted by the pool, and its session ends with the lock.
            }
            try {
                connection.close();
            } catch (SQLException ignored) {
                // The session is gone either way, and with it the lock.
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }
}

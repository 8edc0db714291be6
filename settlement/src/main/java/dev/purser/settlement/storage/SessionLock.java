package dev.purser.settlement.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Single ownership of work across service instances (the settler of a relayer key, the indexer
 * of a chain): the owner holds a session-level PostgreSQL advisory lock on a connection it keeps
 * open. When the owner dies, PostgreSQL ends its session and the lock passes to the next instance
 * that asks.
 */
public final class SessionLock implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionLock.class);

    private final DataSource dataSource;
    private final String lockName;
    private Connection connection;

    public SessionLock(DataSource dataSource, String lockName) {
        this.dataSource = dataSource;
        this.lockName = lockName;
    }

    /** Whether this instance owns the work now: keeps the lock if held, tries to take it otherwise. */
    public boolean holdOrAcquire() {
        try {
            if (connection != null) {
                if (connection.isValid(2)) {
                    return true;
                }
                log.warn("Lost the connection holding {}; standing by", lockName);
                closeQuietly();
            }
            Connection c = dataSource.getConnection();
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
                ps.setString(1, lockName);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        connection = c;
                        log.info("This instance now owns {}", lockName);
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

    public boolean held() {
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

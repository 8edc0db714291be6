package dev.purser.settlement.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * GET /v1/audit/verify recomputes the hash chain and names the first entry where it breaks: a
 * changed entry, a removed entry and an inserted entry are each found. Each test tampers through
 * the database's back door (the append-only trigger disabled inside the tampering transaction),
 * asks the service, and restores the log exactly, so the shared service's log stays valid. While
 * it tampers the test holds the audit head's advisory lock, so no append can interleave.
 */
class AuditChainVerificationTest extends PurserTestBase {

    /** AuditLog's advisory lock key of the chain head (AuditLog.HEAD_LOCK). */
    private static final long AUDIT_HEAD_LOCK = 0x5075727365724175L;

    /** Far above any seq a test reaches: shifting seqs through it keeps every step unique. */
    private static final long SHIFT = 1_000_000_000L;

    @Autowired
    private DataSource dataSource;

    @BeforeEach
    void someHistory() {
        for (int i = 0; i < 3; i++) {
            createAgent("history-" + i);
        }
    }

    private Api.Response verify() {
        Api.Response r = api().get("/v1/audit/verify", ADMIN);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r;
    }

    @Test
    void anUntouchedLogIsValidAndReportsItsHead() {
        Api.Response r = verify();
        assertThat(r.<Boolean>json("$.data.valid")).isTrue();
        assertThat(r.<Object>json("$.data.first_invalid_seq")).isNull();
        int entries = r.json("$.data.entries");
        assertThat(entries).isGreaterThanOrEqualTo(3);
        // The head is the stored hash of the entry with the highest seq counted.
        byte[] head = jdbc.sql("SELECT hash FROM audit_events WHERE seq = :seq").param("seq", entries)
                .query(byte[].class).single();
        assertThat(r.string("$.data.head_hash")).isEqualTo("0x" + HexFormat.of().formatHex(head));
    }

    @Test
    void aChangedEntryIsTheFirstInvalidOne() throws Exception {
        withHeadLocked(c -> {
            long k = head(c) - 1;
            String original = string(c, "SELECT data_json FROM audit_events WHERE seq = " + k);
            tamper(c, "UPDATE audit_events SET data_json = ? WHERE seq = " + k, original.replaceFirst("\\}$", ",\"x\":1}"));
            try {
                Api.Response r = verify();
                assertThat(r.<Boolean>json("$.data.valid")).isFalse();
                assertThat(r.<Integer>json("$.data.first_invalid_seq")).isEqualTo((int) k);
                assertThat(r.string("$.data.first_invalid_reason")).isEqualTo("hash_mismatch");
            } finally {
                tamper(c, "UPDATE audit_events SET data_json = ? WHERE seq = " + k, original);
            }
        });
        assertThat(verify().<Boolean>json("$.data.valid")).isTrue();
    }

    @Test
    void aRemovedEntryIsReportedWhereItWas() throws Exception {
        withHeadLocked(c -> {
            long k = head(c) - 1;
            Row removed = row(c, k);
            tamper(c, "DELETE FROM audit_events WHERE seq = " + k);
            try {
                Api.Response r = verify();
                assertThat(r.<Boolean>json("$.data.valid")).isFalse();
                assertThat(r.<Integer>json("$.data.first_invalid_seq")).isEqualTo((int) k);
                assertThat(r.string("$.data.first_invalid_reason")).isEqualTo("missing_entry");
            } finally {
                insert(c, removed);
            }
        });
        assertThat(verify().<Boolean>json("$.data.valid")).isTrue();
    }

    @Test
    void anInsertedEntryBreaksTheLinkOfTheEntryAfterIt() throws Exception {
        withHeadLocked(c -> {
            long k = head(c) - 2;
            Row before = row(c, k);
            // A forger makes room after seq k and inserts an entry that links correctly to k and
            // hashes correctly itself; the entry that used to follow k no longer links to it.
            Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
            AuditEntry forged = new AuditEntry(k + 1, "evt_FORGED" + System.nanoTime(), at, "authorization.settled",
                    null, null, null, "auth_forged", "{\"amount\":\"1000\"}", before.hash(), null);
            byte[] forgedHash = AuditChain.hash(forged);
            c.setAutoCommit(false);
            try {
                disableTrigger(c);
                exec(c, "UPDATE audit_events SET seq = seq + " + SHIFT + " WHERE seq > " + k);
                exec(c, "UPDATE audit_events SET seq = seq - " + (SHIFT - 1) + " WHERE seq > " + SHIFT);
                insert(c, new Row(forged.seq(), forged.id(), forged.at(), forged.type(), null, null, null, forged.subject(),
                        forged.dataJson(), forged.prevHash(), forgedHash));
                enableTrigger(c);
                c.commit();
            } finally {
                c.setAutoCommit(true);
            }
            try {
                Api.Response r = verify();
                assertThat(r.<Boolean>json("$.data.valid")).isFalse();
                assertThat(r.<Integer>json("$.data.first_invalid_seq")).isEqualTo((int) k + 2);
                assertThat(r.string("$.data.first_invalid_reason")).isEqualTo("prev_hash_mismatch");
            } finally {
                c.setAutoCommit(false);
                disableTrigger(c);
                exec(c, "DELETE FROM audit_events WHERE seq = " + (k + 1));
                exec(c, "UPDATE audit_events SET seq = seq + " + SHIFT + " WHERE seq > " + (k + 1));
                exec(c, "UPDATE audit_events SET seq = seq - " + (SHIFT + 1) + " WHERE seq > " + SHIFT);
                enableTrigger(c);
                c.commit();
                c.setAutoCommit(true);
            }
        });
        assertThat(verify().<Boolean>json("$.data.valid")).isTrue();
    }

    // ---- the back door ----

    private record Row(long seq, String id, Instant at, String type, String actorCredentialId, String actorScope,
            String agentId, String subject, String dataJson, byte[] prevHash, byte[] hash) {}

    private interface SqlWork {
        void run(Connection c) throws Exception;
    }

    /**
     * Runs {@code work} on a connection that holds the audit head lock (session level): appends
     * wait until it is released. The lock is released whatever happens, before the pooled
     * connection goes back to the pool.
     */
    private void withHeadLocked(SqlWork work) throws Exception {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
                ps.setLong(1, AUDIT_HEAD_LOCK);
                ps.execute();
            }
            try {
                work.run(c);
            } finally {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
                exec(c, "SELECT pg_advisory_unlock_all()");
            }
        }
    }

    private static long head(Connection c) throws SQLException {
        long head = Long.parseLong(string(c, "SELECT max(seq)::text FROM audit_events"));
        assertThat(head).isGreaterThanOrEqualTo(3);
        return head;
    }

    /** Runs one statement with the append-only trigger disabled for that transaction only. */
    private static void tamper(Connection c, String sql, String... params) throws SQLException {
        c.setAutoCommit(false);
        try {
            disableTrigger(c);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setString(i + 1, params[i]);
                }
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            enableTrigger(c);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static void disableTrigger(Connection c) throws SQLException {
        exec(c, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete");
    }

    private static void enableTrigger(Connection c) throws SQLException {
        exec(c, "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete");
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String string(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static Row row(Connection c, long seq) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT seq, id, at, type, actor_credential_id, actor_scope, agent_id, subject, data_json, prev_hash, hash
                FROM audit_events WHERE seq = """ + seq)) {
            assertThat(rs.next()).isTrue();
            return new Row(rs.getLong(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getString(4), rs.getString(5),
                    rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getBytes(10), rs.getBytes(11));
        }
    }

    private static void insert(Connection c, Row r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO audit_events (seq, id, at, type, actor_credential_id, actor_scope, agent_id, subject, data_json,
                                          prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)) {
            ps.setLong(1, r.seq());
            ps.setString(2, r.id());
            ps.setTimestamp(3, Timestamp.from(r.at()));
            ps.setString(4, r.type());
            ps.setString(5, r.actorCredentialId());
            ps.setString(6, r.actorScope());
            ps.setString(7, r.agentId());
            ps.setString(8, r.subject());
            ps.setString(9, r.dataJson());
            ps.setBytes(10, r.prevHash());
            ps.setBytes(11, r.hash());
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }
}

package dev.purser.settlement.audit;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Reads the audit log for auditors: filtered pages, streams in seq order, and the verification of
 * its hash chain. Read-only; every read is bounded by a page size, so no caller ever holds the
 * whole log in memory.
 */
@Component
public class AuditReader {

    /** Rows fetched per query when streaming or verifying the whole log. */
    public static final int STREAM_PAGE_ROWS = 1000;

    private static final String COLUMNS =
            "seq, id, at, type, actor_credential_id, actor_scope, agent_id, subject, data_json, prev_hash, hash";

    private final JdbcClient jdbc;

    AuditReader(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Which entries to read; every part is optional. {@code until} is exclusive. */
    public record Filter(String agentId, String type, Instant since, Instant until) {

        private static final Pattern TYPE = Pattern.compile("[a-z_]+(\\.[a-z_]+)+");

        public static final Filter ALL = new Filter(null, null, null, null);

        public Filter {
            if (type != null && !TYPE.matcher(type).matches()) {
                throw new IllegalArgumentException("an audit event type is dotted lowercase words, such as settlement.confirmed");
            }
            if (since != null && until != null && !since.isBefore(until)) {
                throw new IllegalArgumentException("since must be before until");
            }
        }
    }

    /** Up to {@code limit} entries after {@code afterSeq}, in seq order. */
    public List<AuditEntry> page(Filter filter, long afterSeq, int limit) {
        return page(filter, afterSeq, Long.MAX_VALUE, limit);
    }

    /** The seq of the newest entry, 0 when the log is empty. */
    public long headSeq() {
        return jdbc.sql("SELECT COALESCE(max(seq), 0) FROM audit_events").query(Long.class).single();
    }

    /**
     * Hands every matching entry with a seq up to {@code throughSeq} to {@code each}, in seq order,
     * {@link #STREAM_PAGE_ROWS} at a time. Appends are chained under one lock in seq order, so
     * what one page sees is always a prefix of the log: bounding by the head read first gives a
     * consistent cut even while the service keeps appending.
     */
    public long forEach(Filter filter, long throughSeq, Consumer<AuditEntry> each) {
        long after = 0;
        long count = 0;
        while (true) {
            List<AuditEntry> rows = page(filter, after, throughSeq, STREAM_PAGE_ROWS);
            for (AuditEntry e : rows) {
                each.accept(e);
                count++;
            }
            if (rows.size() < STREAM_PAGE_ROWS) {
                return count;
            }
            after = rows.getLast().seq();
        }
    }

    /** Why the chain is broken at {@code firstInvalidSeq}. */
    public enum Break {
        /** No entry has this seq, though later ones exist: an entry was removed. */
        MISSING_ENTRY,
        /** The entry's prev_hash is not the previous entry's hash: something was inserted or re-linked. */
        PREV_HASH_MISMATCH,
        /** The entry's content does not hash to its hash: it was changed. */
        HASH_MISMATCH
    }

    /**
     * The result of recomputing the chain: {@code entries} read up to the head as it was when the
     * check began, the head's stored hash, and the first seq where the chain breaks (null when it
     * holds).
     */
    public record Verification(boolean valid, long entries, byte[] headHash, Long firstInvalidSeq, Break reason) {}

    /**
     * Recomputes the chain in seq order, page by page: seqs run 1, 2, 3, … without a gap, the first
     * entry links to 32 zero bytes, each later one to its predecessor's hash, and each hash is
     * {@link AuditChain#hash} of the entry. Reading goes on after a break so that {@code entries}
     * counts the whole log; only the first break is reported.
     */
    public Verification verify() {
        long head = headSeq();
        long expectedSeq = 1;
        byte[] prevHash = AuditChain.GENESIS;
        long entries = 0;
        Long firstInvalid = null;
        Break reason = null;
        long after = 0;
        while (true) {
            List<AuditEntry> rows = page(Filter.ALL, after, head, STREAM_PAGE_ROWS);
            for (AuditEntry e : rows) {
                entries++;
                if (firstInvalid == null) {
                    if (e.seq() != expectedSeq) {
                        firstInvalid = expectedSeq;
                        reason = Break.MISSING_ENTRY;
                    } else if (!Arrays.equals(e.prevHash(), prevHash)) {
                        firstInvalid = e.seq();
                        reason = Break.PREV_HASH_MISMATCH;
                    } else if (!Arrays.equals(AuditChain.hash(e), e.hash())) {
                        firstInvalid = e.seq();
                        reason = Break.HASH_MISMATCH;
                    }
                }
                expectedSeq = e.seq() + 1;
                prevHash = e.hash();
            }
            if (rows.size() < STREAM_PAGE_ROWS) {
                break;
            }
            after = rows.getLast().seq();
        }
        return new Verification(firstInvalid == null, entries, entries == 0 ? null : prevHash, firstInvalid, reason);
    }

    private List<AuditEntry> page(Filter filter, long afterSeq, long throughSeq, int limit) {
        Objects.requireNonNull(filter, "filter");
        return jdbc.sql("SELECT " + COLUMNS + """
                 FROM audit_events
                WHERE seq > :after AND seq <= :through
                  AND (CAST(:agentId AS text) IS NULL OR agent_id = :agentId)
                  AND (CAST(:type AS text) IS NULL OR type = :type)
                  AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)
                  AND (CAST(:until AS timestamptz) IS NULL OR at < :until)
                ORDER BY seq
                LIMIT :limit
                """)
                .param("after", afterSeq)
                .param("through", throughSeq)
                .param("agentId", filter.agentId())
                .param("type", filter.type())
                .param("since", filter.since() == null ? null : Timestamp.from(filter.since()))
                .param("until", filter.until() == null ? null : Timestamp.from(filter.until()))
                .param("limit", limit)
                .query(AuditReader::entry)
                .list();
    }

    private static AuditEntry entry(ResultSet rs, int n) throws SQLException {
        return new AuditEntry(rs.getLong("seq"), rs.getString("id"), rs.getTimestamp("at").toInstant(), rs.getString("type"),
                rs.getString("actor_credential_id"), rs.getString("actor_scope"), rs.getString("agent_id"),
                rs.getString("subject"), rs.getString("data_json"), rs.getBytes("prev_hash"), rs.getBytes("hash"));
    }
}

package dev.purser.settlement.audit;

import dev.purser.settlement.common.Ids;
import dev.purser.settlement.web.Caller;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Appends to the hash-chained audit log inside the caller's transaction, so an audit row exists
 * exactly when the change it records does. Appends are serialized by a transaction-scoped
 * advisory lock: each row's hash covers the previous row's, so rows must be chained in order.
 * Call it as the last statement of a transaction to keep the lock short.
 */
@Component
public class AuditLog {

    /** Advisory lock key of the audit chain's head (an arbitrary constant of this service). */
    private static final long HEAD_LOCK = 0x5075727365724175L;

    private final JdbcClient jdbc;
    private final Clock clock;
    private final JsonMapper canonicalJson = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    AuditLog(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /**
     * Appends one event. {@code actor} is null for the service's own actions (sweeper, settler,
     * indexer); {@code data} must hold only JSON-friendly values and never a secret.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public AuditEntry append(String type, Caller actor, String agentId, String subject, Map<String, ?> data) {
        jdbc.sql("SELECT pg_advisory_xact_lock(:key)").param("key", HEAD_LOCK).query().singleRow();
        var head = jdbc.sql("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                .query((rs, n) -> new Object[] {rs.getLong(1), rs.getBytes(2)})
                .optional();
        long seq = head.map(h -> (Long) h[0] + 1).orElse(1L);
        byte[] prevHash = head.map(h -> (byte[]) h[1]).orElse(AuditChain.GENESIS);
        Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
        AuditEntry entry = new AuditEntry(seq, Ids.newId("evt", at), at, type,
                actor == null ? null : actor.credentialId(), actor == null ? null : actor.scope().id(), agentId, subject,
                canonicalJson.writeValueAsString(data == null ? Map.of() : data), prevHash, null);
        entry = entry.withHash(AuditChain.hash(entry));
        jdbc.sql("""
                INSERT INTO audit_events (seq, id, at, type, actor_credential_id, actor_scope, agent_id, subject,
                                          data_json, prev_hash, hash)
                VALUES (:seq, :id, :at, :type, :actorCredentialId, :actorScope, :agentId, :subject, :dataJson,
                        :prevHash, :hash)
                """)
                .param("seq", entry.seq())
                .param("id", entry.id())
                .param("at", Timestamp.from(entry.at()))
                .param("type", entry.type())
                .param("actorCredentialId", entry.actorCredentialId())
                .param("actorScope", entry.actorScope())
                .param("agentId", entry.agentId())
                .param("subject", entry.subject())
                .param("dataJson", entry.dataJson())
                .param("prevHash", entry.prevHash())
                .param("hash", entry.hash())
                .update();
        return entry;
    }
}

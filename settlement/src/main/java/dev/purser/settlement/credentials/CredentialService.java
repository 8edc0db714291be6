package dev.purser.settlement.credentials;

import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.common.Ids;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Scope;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Credentials: issued with a secret shown once and stored only as its SHA-256, authenticated by
 * hash lookup, revoked for good. Caps are read under a row lock by the ledger.
 */
@Service
public class CredentialService {

    private static final String COLUMNS = """
            id, agent_id, scope, label, revoked_at, per_transaction_limit_micros, daily_limit_micros,
            merchant_allowlist, approval_threshold_micros, max_authorizations_per_minute, expires_at, created_at
            """;

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    CredentialService(JdbcClient jdbc, AuditLog audit, Clock clock) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.clock = clock;
    }

    /** A credential together with its secret, which exists in clear only in this value. */
    public record Issued(Credential credential, CredentialSecret secret) {}

    /**
     * The caller behind a presented bearer secret, when it is active. A lookup by the secret's
     * hash: no secret is ever compared in Java, so response times say nothing about it.
     */
    public Optional<Caller> authenticate(String presented) {
        CredentialSecret secret = CredentialSecret.parseOrNull(presented);
        if (secret == null) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        return jdbc.sql("SELECT " + COLUMNS + " FROM credentials WHERE secret_sha256 = :hash")
                .param("hash", secret.sha256())
                .query(this::map)
                .optional()
                .filter(c -> c.usable(now))
                .map(c -> new Caller(c.id(), c.scope(), c.agentId()));
    }

    @Transactional
    public Issued issueForAgent(Caller actor, String agentId, NewAgentCredential caps) {
        Instant now = clock.instant();
        CredentialSecret secret = CredentialSecret.generate("agent", random);
        String id = Ids.newId("cred", now);
        jdbc.sql("""
                INSERT INTO credentials (id, agent_id, scope, label, secret_sha256, per_transaction_limit_micros,
                    daily_limit_micros, merchant_allowlist, approval_threshold_micros, max_authorizations_per_minute,
                    expires_at, created_at)
                VALUES (:id, :agentId, 'agent', :label, :hash, :perTx, :daily, :allowlist, :threshold, :velocity,
                    :expiresAt, :now)
                """)
                .param("id", id)
                .param("agentId", agentId)
                .param("label", caps.label())
                .param("hash", secret.sha256())
                .param("perTx", caps.perTransactionLimit().micros())
                .param("daily", caps.dailyLimit().micros())
                .param("allowlist", caps.merchantAllowlist() == null ? null : caps.merchantAllowlist().toArray(String[]::new))
                .param("threshold", caps.approvalThreshold() == null ? null : caps.approvalThreshold().micros())
                .param("velocity", caps.maxAuthorizationsPerMinute())
                .param("expiresAt", caps.expiresAt() == null ? null : Timestamp.from(caps.expiresAt()))
                .param("now", Timestamp.from(now))
                .update();
        Credential credential = find(id).orElseThrow();
        audit.append("credential.issued", actor, agentId, id, capsData(credential));
        return new Issued(credential, secret);
    }

    @Transactional
    public Issued issueOperatorCredential(Caller actor, Scope scope, String label) {
        if (scope == Scope.AGENT) {
            throw new IllegalArgumentException("agent credentials are issued for an agent");
        }
        Instant now = clock.instant();
        CredentialSecret secret = CredentialSecret.generate(scope.id(), random);
        String id = Ids.newId("cred", now);
        jdbc.sql("""
                INSERT INTO credentials (id, scope, label, secret_sha256, created_at)
                VALUES (:id, :scope, :label, :hash, :now)
                """)
                .param("id", id)
                .param("scope", scope.id())
                .param("label", label)
                .param("hash", secret.sha256())
                .param("now", Timestamp.from(now))
                .update();
        audit.append("credential.issued", actor, null, id, Map.of("scope", scope.id(), "label", label));
        return new Issued(find(id).orElseThrow(), secret);
    }

    public Optional<Credential> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM credentials WHERE id = :id").param("id", id).query(this::map).optional();
    }

    /** The credential's current caps, locked until the caller's transaction ends. */
    @Transactional(propagation = Propagation.MANDATORY)
    public Credential lockForAuthorization(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM credentials WHERE id = :id FOR NO KEY UPDATE")
                .param("id", id)
                .query(this::map)
                .single();
    }

    public List<Credential> listForAgent(String agentId) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM credentials WHERE agent_id = :agentId ORDER BY created_at, id LIMIT 1000")
                .param("agentId", agentId)
                .query(this::map)
                .list();
    }

    /**
     * Changes caps under the row lock pre-authorize takes, so a change applies from the next
     * authorization on. NO KEY UPDATE, not UPDATE: the foreign keys that other transactions check
     * against this row (their idempotency keys, their authorizations) must not wait for it.
     */
    @Transactional
    public Optional<Credential> patch(Caller actor, String id, CapsChange change) {
        Optional<Credential> locked = jdbc.sql("SELECT " + COLUMNS + " FROM credentials WHERE id = :id FOR NO KEY UPDATE")
                .param("id", id).query(this::map).optional();
        if (locked.isEmpty()) {
            return Optional.empty();
        }
        Credential c = locked.get();
        Money perTx = change.perTransactionLimit() != null ? change.perTransactionLimit() : c.perTransactionLimit();
        Money daily = change.dailyLimit() != null ? change.dailyLimit() : c.dailyLimit();
        List<String> allowlist = change.merchantAllowlist() != null ? change.merchantAllowlist().orElse(null) : c.merchantAllowlist();
        Money threshold = change.approvalThreshold() != null ? change.approvalThreshold().orElse(null) : c.approvalThreshold();
        Integer velocity = change.maxAuthorizationsPerMinute() != null
                ? change.maxAuthorizationsPerMinute().orElse(null) : c.maxAuthorizationsPerMinute();
        Instant expiresAt = change.expiresAt() != null ? change.expiresAt().orElse(null) : c.expiresAt();
        String label = change.label() != null ? change.label() : c.label();
        jdbc.sql("""
                UPDATE credentials SET label = :label, per_transaction_limit_micros = :perTx, daily_limit_micros = :daily,
                    merchant_allowlist = :allowlist, approval_threshold_micros = :threshold,
                    max_authorizations_per_minute = :velocity, expires_at = :expiresAt, version = version + 1
                WHERE id = :id
                """)
                .param("label", label)
                .param("perTx", perTx == null ? null : perTx.micros())
                .param("daily", daily == null ? null : daily.micros())
                .param("allowlist", allowlist == null ? null : allowlist.toArray(String[]::new))
                .param("threshold", threshold == null ? null : threshold.micros())
                .param("velocity", velocity)
                .param("expiresAt", expiresAt == null ? null : Timestamp.from(expiresAt))
                .param("id", id)
                .update();
        Credential updated = find(id).orElseThrow();
        audit.append("credential.caps_changed", actor, updated.agentId(), id, capsData(updated));
        return Optional.of(updated);
    }

    /** Revokes a credential; it is refused from the very next request. Revoking twice is a no-op. */
    @Transactional
    public Optional<Credential> revoke(Caller actor, String id) {
        Instant now = clock.instant();
        int rows = jdbc.sql("UPDATE credentials SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")
                .param("now", Timestamp.from(now))
                .param("id", id)
                .update();
        Optional<Credential> c = find(id);
        if (rows == 1) {
            audit.append("credential.revoked", actor, c.get().agentId(), id, Map.of());
        }
        return c;
    }

    private static Map<String, Object> capsData(Credential c) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("per_transaction_limit", String.valueOf(c.perTransactionLimit()));
        data.put("daily_limit", String.valueOf(c.dailyLimit()));
        data.put("merchant_allowlist", c.merchantAllowlist());
        data.put("approval_threshold", c.approvalThreshold() == null ? null : c.approvalThreshold().toString());
        data.put("max_authorizations_per_minute", c.maxAuthorizationsPerMinute());
        data.put("expires_at", c.expiresAt() == null ? null : c.expiresAt().toString());
        return data;
    }

    private Credential map(ResultSet rs, int n) throws SQLException {
        Array allowlist = rs.getArray("merchant_allowlist");
        Timestamp revoked = rs.getTimestamp("revoked_at");
        Timestamp expires = rs.getTimestamp("expires_at");
        return new Credential(rs.getString("id"), rs.getString("agent_id"), Scope.fromId(rs.getString("scope")),
                rs.getString("label"), revoked == null ? null : revoked.toInstant(),
                money(rs, "per_transaction_limit_micros"), money(rs, "daily_limit_micros"),
                allowlist == null ? null : Arrays.asList((String[]) allowlist.getArray()),
                money(rs, "approval_threshold_micros"),
                (Integer) rs.getObject("max_authorizations_per_minute"),
                expires == null ? null : expires.toInstant(), rs.getTimestamp("created_at").toInstant());
    }

    private static Money money(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Money.ofMicros(v);
    }
}

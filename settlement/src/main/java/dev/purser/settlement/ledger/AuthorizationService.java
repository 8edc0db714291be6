package dev.purser.settlement.ledger;

import dev.purser.settlement.agents.Agent;
import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.common.Ids;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.credentials.Credential;
import dev.purser.settlement.credentials.CredentialService;
import dev.purser.settlement.ledger.Outcomes.ChangeResult;
import dev.purser.settlement.ledger.Outcomes.Changed;
import dev.purser.settlement.ledger.Outcomes.Declined;
import dev.purser.settlement.ledger.Outcomes.ExceedsAuthorization;
import dev.purser.settlement.ledger.Outcomes.Held;
import dev.purser.settlement.ledger.Outcomes.NotFound;
import dev.purser.settlement.ledger.Outcomes.PreAuthorizeResult;
import dev.purser.settlement.ledger.Outcomes.WrongStatus;
import dev.purser.settlement.settlements.SettlementQueue;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Pages;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import dev.purser.settlement.agents.AvailableBalanceChanged;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ledger of holds: pre-authorize (every cap checked atomically in one short transaction),
 * settle (the final amount; the rest released and the payment queued in the same transaction),
 * void, expire, and the operator's approve / decline of large spends.
 *
 * <p>How the caps stay atomic: the credential's row is locked first, which serializes every
 * authorization of that credential (its velocity count and daily budget are then exact); the
 * daily budget and the agent's funds are taken by conditional UPDATEs that refuse to overdraw,
 * and a refusal by the second gives back what the first took, inside the same transaction.
 */
@Service
public class AuthorizationService {

    static final Duration VELOCITY_WINDOW = Duration.ofMinutes(1);
    private static final TypeReference<LinkedHashMap<String, String>> STRING_MAP = new TypeReference<>() {};

    private final JdbcClient jdbc;
    private final CredentialService credentials;
    private final AgentService agents;
    private final AgentFunds funds;
    private final SettlementQueue settlements;
    private final AuditLog audit;
    private final Clock clock;
    private final JsonMapper json;
    private final ApplicationEventPublisher events;
    private final TransactionTemplate tx;

    AuthorizationService(JdbcClient jdbc, CredentialService credentials, AgentService agents, AgentFunds funds,
            SettlementQueue settlements, AuditLog audit, Clock clock, JsonMapper json, ApplicationEventPublisher events,
            TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.credentials = credentials;
        this.agents = agents;
        this.funds = funds;
        this.settlements = settlements;
        this.audit = audit;
        this.clock = clock;
        this.json = json;
        this.events = events;
        this.tx = tx;
    }

    /** Holds a spend for the calling agent credential, or declines it with the exact reason. */
    @Transactional
    public PreAuthorizeResult preAuthorize(Caller caller, PreAuthorization request) {
        Instant now = clock.instant();
        String agentId = caller.agentId();
        Credential credential = credentials.lockForAuthorization(caller.credentialId());
        // The agent's funds row is locked after the credential and before daily_spend: the one
        // lock order every ledger transaction follows (see AgentFunds).
        funds.lock(agentId);
        Agent agent = agents.find(agentId).orElseThrow();
        Money amount = request.amount();

        if (agent.frozen()) {
            return decline(caller, request, DeclineCode.AGENT_FROZEN, "The agent is frozen by an operator.",
                    details("reason", agent.frozenReason()));
        }
        if (amount.greaterThan(credential.perTransactionLimit())) {
            return decline(caller, request, DeclineCode.PER_TRANSACTION_LIMIT_EXCEEDED,
                    "The amount is above this credential's per-transaction limit.",
                    details("per_transaction_limit", credential.perTransactionLimit().toString(), "amount", amount.toString()));
        }
        if (credential.merchantAllowlist() != null && !credential.merchantAllowlist().contains(request.merchant())) {
            return decline(caller, request, DeclineCode.MERCHANT_NOT_ALLOWED,
                    "The merchant is not on this credential's allowlist.", details("merchant", request.merchant()));
        }
        if (credential.maxAuthorizationsPerMinute() != null) {
            long recent = jdbc.sql("""
                    SELECT count(*) FROM authorizations WHERE credential_id = :credentialId AND created_at > :since
                    """)
                    .param("credentialId", credential.id())
                    .param("since", Timestamp.from(now.minus(VELOCITY_WINDOW)))
                    .query(Long.class)
                    .single();
            if (recent >= credential.maxAuthorizationsPerMinute()) {
                return decline(caller, request, DeclineCode.VELOCITY_LIMIT_EXCEEDED,
                        "This credential made its most authorizations for the last minute.",
                        details("max_authorizations_per_minute", credential.maxAuthorizationsPerMinute(),
                                "window_seconds", VELOCITY_WINDOW.toSeconds()));
            }
        }
        LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
        jdbc.sql("INSERT INTO daily_spend (credential_id, day) VALUES (:credentialId, :day) ON CONFLICT DO NOTHING")
                .param("credentialId", credential.id())
                .param("day", Date.valueOf(day))
                .update();
        int heldToday = jdbc.sql("""
                UPDATE daily_spend SET held_micros = held_micros + :amount
                WHERE credential_id = :credentialId AND day = :day
                  AND held_micros + settled_micros + :amount <= :dailyLimit
                """)
                .param("amount", amount.micros())
                .param("credentialId", credential.id())
                .param("day", Date.valueOf(day))
                .param("dailyLimit", credential.dailyLimit().micros())
                .update();
        if (heldToday == 0) {
            Money used = usedOn(credential.id(), day);
            return decline(caller, request, DeclineCode.DAILY_LIMIT_EXCEEDED,
                    "The amount would take this credential past its daily limit.",
                    details("daily_limit", credential.dailyLimit().toString(),
                            "remaining", credential.dailyLimit().minusOrZero(used).toString()));
        }
        Optional<Money> shortOfFunds = funds.tryHold(agentId, amount);
        if (shortOfFunds.isPresent()) {
            releaseDaily(credential.id(), day, amount);
            return decline(caller, request, DeclineCode.INSUFFICIENT_FUNDS,
                    "The agent's wallet does not hold enough available USDC.",
                    details("available", shortOfFunds.get().toString(), "amount", amount.toString()));
        }
        boolean needsApproval = credential.approvalThreshold() != null && amount.greaterThan(credential.approvalThreshold());
        Authorization.Status status = needsApproval ? Authorization.Status.PENDING_APPROVAL : Authorization.Status.AUTHORIZED;
        String id = Ids.newId("auth", now);
        jdbc.sql("""
                INSERT INTO authorizations (id, agent_id, credential_id, merchant, amount_micros, status, purpose, metadata,
                    day, created_at, expires_at)
                VALUES (:id, :agentId, :credentialId, :merchant, :amount, :status, :purpose, CAST(:metadata AS jsonb),
                    :day, :now, :expiresAt)
                """)
                .param("id", id)
                .param("agentId", agentId)
                .param("credentialId", credential.id())
                .param("merchant", request.merchant())
                .param("amount", amount.micros())
                .param("status", status.id())
                .param("purpose", request.purpose())
                .param("metadata", request.metadata() == null ? null : json.writeValueAsString(request.metadata()))
                .param("day", Date.valueOf(day))
                .param("now", Timestamp.from(now))
                .param("expiresAt", Timestamp.from(now.plus(request.expiresIn())))
                .update();
        events.publishEvent(new AvailableBalanceChanged(agentId));
        audit.append("authorization." + status.id(), caller, agentId, id,
                details("amount", amount.toString(), "merchant", request.merchant(), "credential_id", credential.id()));
        return new Held(find(id).orElseThrow());
    }

    /**
     * Fixes the final amount (the authorized one by default) and queues the payment; the unused
     * remainder is released at once.
     */
    @Transactional
    public ChangeResult settle(Caller caller, String authorizationId, Optional<Money> requested) {
        Optional<Authorization> locked = lockOwn(caller.agentId(), authorizationId);
        if (locked.isEmpty()) {
            return new NotFound();
        }
        Authorization a = expireIfDue(locked.get(), null);
        if (a.status() != Authorization.Status.AUTHORIZED) {
            return new WrongStatus(a.status());
        }
        Money settled = requested.orElse(a.amount());
        if (settled.greaterThan(a.amount())) {
            return new ExceedsAuthorization(a);
        }
        Instant now = clock.instant();
        funds.settle(a.agentId(), a.amount(), settled);
        requireOne(jdbc.sql("""
                UPDATE daily_spend SET held_micros = held_micros - :held, settled_micros = settled_micros + :settled
                WHERE credential_id = :credentialId AND day = :day AND held_micros >= :held
                """)
                .param("held", a.amount().micros())
                .param("settled", settled.micros())
                .param("credentialId", a.credentialId())
                .param("day", Date.valueOf(a.day()))
                .update(), "daily settle", a.id());
        Agent agent = agents.find(a.agentId()).orElseThrow();
        String settlementId = settlements.enqueue(a.agentId(), agent.walletAddress(), a.merchant(), a.id(), settled, now);
        requireOne(jdbc.sql("""
                UPDATE authorizations SET status = 'settled', settled_amount_micros = :settled, settled_at = :now,
                    settlement_id = :settlementId
                WHERE id = :id AND status = 'authorized'
                """)
                .param("settled", settled.micros())
                .param("now", Timestamp.from(now))
                .param("settlementId", settlementId)
                .param("id", a.id())
                .update(), "settle", a.id());
        events.publishEvent(new AvailableBalanceChanged(a.agentId()));
        audit.append("authorization.settled", caller, a.agentId(), a.id(), details("amount", a.amount().toString(),
                "settled_amount", settled.toString(), "released", a.amount().minus(settled).toString(),
                "settlement_id", settlementId));
        return new Changed(find(a.id()).orElseThrow());
    }

    /** Voids an open hold and releases all of it. */
    @Transactional
    public ChangeResult voidHold(Caller caller, String authorizationId) {
        Optional<Authorization> locked = lockOwn(caller.agentId(), authorizationId);
        if (locked.isEmpty()) {
            return new NotFound();
        }
        Authorization a = expireIfDue(locked.get(), null);
        if (!a.status().open()) {
            return new WrongStatus(a.status());
        }
        close(a, Authorization.Status.VOIDED, "voided_at", null, caller, "authorization.voided");
        return new Changed(find(a.id()).orElseThrow());
    }

    /** An operator approves a pending_approval hold: it becomes authorized. */
    @Transactional
    public ChangeResult approve(Caller operator, String authorizationId) {
        Optional<Authorization> locked = lockAny(authorizationId);
        if (locked.isEmpty()) {
            return new NotFound();
        }
        Authorization a = expireIfDue(locked.get(), operator);
        if (a.status() != Authorization.Status.PENDING_APPROVAL) {
            return new WrongStatus(a.status());
        }
        requireOne(jdbc.sql("""
                UPDATE authorizations SET status = 'authorized', decided_at = :now WHERE id = :id AND status = 'pending_approval'
                """)
                .param("now", Timestamp.from(clock.instant()))
                .param("id", a.id())
                .update(), "approve", a.id());
        audit.append("authorization.approved", operator, a.agentId(), a.id(), details("amount", a.amount().toString()));
        return new Changed(find(a.id()).orElseThrow());
    }

    /** An operator declines a pending_approval hold: it is released. */
    @Transactional
    public ChangeResult declinePending(Caller operator, String authorizationId, String reason) {
        Optional<Authorization> locked = lockAny(authorizationId);
        if (locked.isEmpty()) {
            return new NotFound();
        }
        Authorization a = expireIfDue(locked.get(), operator);
        if (a.status() != Authorization.Status.PENDING_APPROVAL) {
            return new WrongStatus(a.status());
        }
        close(a, Authorization.Status.DECLINED, "decided_at", reason, operator, "authorization.declined_by_operator");
        return new Changed(find(a.id()).orElseThrow());
    }

    /**
     * Expires up to {@code limit} holds whose time has come and releases them; returns how many.
     * Each hold is expired in its own short transaction, so the sweep never holds the audit log's
     * head while it locks another agent's rows; rows another instance is handling are skipped.
     */
    public int expireDue(int limit) {
        Instant now = clock.instant();
        List<String> due = jdbc.sql("""
                SELECT id FROM authorizations
                WHERE status IN ('authorized', 'pending_approval') AND expires_at <= :now
                ORDER BY expires_at LIMIT :limit
                """)
                .param("now", Timestamp.from(now))
                .param("limit", limit)
                .query(String.class)
                .list();
        int expired = 0;
        for (String id : due) {
            Boolean done = tx.execute(s -> jdbc.sql("""
                    SELECT * FROM authorizations
                    WHERE id = :id AND status IN ('authorized', 'pending_approval') AND expires_at <= :now
                    FOR UPDATE SKIP LOCKED
                    """)
                    .param("id", id)
                    .param("now", Timestamp.from(now))
                    .query(this::map)
                    .optional()
                    .map(a -> {
                        close(a, Authorization.Status.EXPIRED, null, null, null, "authorization.expired");
                        return true;
                    })
                    .orElse(false));
            expired += Boolean.TRUE.equals(done) ? 1 : 0;
        }
        return expired;
    }

    public Optional<Authorization> find(String id) {
        return jdbc.sql("SELECT * FROM authorizations WHERE id = :id").param("id", id).query(this::map).optional();
    }

    public List<Authorization> list(String agentId, Authorization.Status status, Pages.Cursor after, int limit) {
        return jdbc.sql("""
                SELECT * FROM authorizations
                WHERE (CAST(:agentId AS text) IS NULL OR agent_id = :agentId)
                  AND (CAST(:status AS text) IS NULL OR status = :status)
                  AND (CAST(:at AS timestamptz) IS NULL OR (created_at, id) < (CAST(:at AS timestamptz), :cursorId))
                ORDER BY created_at DESC, id DESC LIMIT :limit
                """)
                .param("agentId", agentId)
                .param("status", status == null ? null : status.id())
                .param("at", after == null ? null : Timestamp.from(after.createdAt()))
                .param("cursorId", after == null ? "" : after.id())
                .param("limit", limit)
                .query(this::map)
                .list();
    }

    /** Today's (UTC) budget of a credential: settled, held, and what remains of the daily limit. */
    public record Today(LocalDate date, Money spent, Money held, Money remaining) {}

    public Today today(Credential credential) {
        LocalDate day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        Money[] spentHeld = jdbc.sql("SELECT settled_micros, held_micros FROM daily_spend WHERE credential_id = :id AND day = :day")
                .param("id", credential.id())
                .param("day", Date.valueOf(day))
                .query((rs, n) -> new Money[] {Money.ofMicros(rs.getLong(1)), Money.ofMicros(rs.getLong(2))})
                .optional()
                .orElse(new Money[] {Money.ZERO, Money.ZERO});
        Money remaining = credential.dailyLimit().minusOrZero(spentHeld[0].plus(spentHeld[1]));
        return new Today(day, spentHeld[0], spentHeld[1], remaining);
    }

    private Authorization expireIfDue(Authorization a, Caller actor) {
        if (a.status().open() && !a.expiresAt().isAfter(clock.instant())) {
            close(a, Authorization.Status.EXPIRED, null, null, actor, "authorization.expired");
            return find(a.id()).orElseThrow();
        }
        return a;
    }

    /** Ends an open hold without paying: releases its daily budget and funds, records why. */
    private void close(Authorization a, Authorization.Status to, String timestampColumn, String reason, Caller actor,
            String auditType) {
        funds.release(a.agentId(), a.amount());
        releaseDaily(a.credentialId(), a.day(), a.amount());
        Instant now = clock.instant();
        String set = timestampColumn == null ? "" : ", " + timestampColumn + " = :now";
        requireOne(jdbc.sql("UPDATE authorizations SET status = :to, decline_reason = :reason, decline_code = :code" + set
                        + " WHERE id = :id AND status IN ('authorized', 'pending_approval')")
                .param("to", to.id())
                .param("reason", reason)
                .param("code", to == Authorization.Status.DECLINED ? "declined_by_operator" : null)
                .param("now", Timestamp.from(now))
                .param("id", a.id())
                .update(), to.id(), a.id());
        Map<String, Object> data = details("amount", a.amount().toString(), "released", a.amount().toString());
        if (reason != null) {
            data.put("reason", reason);
        }
        events.publishEvent(new AvailableBalanceChanged(a.agentId()));
        audit.append(auditType, actor, a.agentId(), a.id(), data);
    }

    private void releaseDaily(String credentialId, LocalDate day, Money amount) {
        requireOne(jdbc.sql("""
                UPDATE daily_spend SET held_micros = held_micros - :amount
                WHERE credential_id = :credentialId AND day = :day AND held_micros >= :amount
                """)
                .param("amount", amount.micros())
                .param("credentialId", credentialId)
                .param("day", Date.valueOf(day))
                .update(), "daily release", credentialId);
    }

    private Money usedOn(String credentialId, LocalDate day) {
        return Money.ofMicros(jdbc.sql("""
                SELECT held_micros + settled_micros FROM daily_spend WHERE credential_id = :credentialId AND day = :day
                """)
                .param("credentialId", credentialId)
                .param("day", Date.valueOf(day))
                .query(Long.class)
                .single());
    }

    private Declined decline(Caller caller, PreAuthorization request, DeclineCode code, String message,
            Map<String, Object> details) {
        Map<String, Object> data = new LinkedHashMap<>(details);
        data.put("code", code.code());
        data.put("amount", request.amount().toString());
        data.put("merchant", request.merchant());
        audit.append("authorization.declined", caller, caller.agentId(), caller.credentialId(), data);
        return new Declined(code, message, details);
    }

    private Optional<Authorization> lockOwn(String agentId, String id) {
        return jdbc.sql("SELECT * FROM authorizations WHERE id = :id AND agent_id = :agentId FOR UPDATE")
                .param("id", id)
                .param("agentId", agentId)
                .query(this::map)
                .optional();
    }

    private Optional<Authorization> lockAny(String id) {
        return jdbc.sql("SELECT * FROM authorizations WHERE id = :id FOR UPDATE").param("id", id).query(this::map).optional();
    }

    private static Map<String, Object> details(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    private static void requireOne(int rows, String what, String id) {
        if (rows != 1) {
            throw new IllegalStateException(what + " of " + id + " touched " + rows + " rows");
        }
    }

    private Authorization map(ResultSet rs, int n) throws SQLException {
        long settled = rs.getLong("settled_amount_micros");
        boolean hasSettled = !rs.wasNull();
        String metadata = rs.getString("metadata");
        Timestamp settledAt = rs.getTimestamp("settled_at");
        Timestamp voidedAt = rs.getTimestamp("voided_at");
        return new Authorization(rs.getString("id"), rs.getString("agent_id"), rs.getString("credential_id"),
                rs.getString("merchant"), Money.ofMicros(rs.getLong("amount_micros")),
                hasSettled ? Money.ofMicros(settled) : null, Authorization.Status.fromId(rs.getString("status")),
                rs.getString("decline_code"), rs.getString("purpose"),
                metadata == null ? null : json.readValue(metadata, STRING_MAP),
                rs.getDate("day").toLocalDate(), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("expires_at").toInstant(), settledAt == null ? null : settledAt.toInstant(),
                voidedAt == null ? null : voidedAt.toInstant(), rs.getString("settlement_id"));
    }
}

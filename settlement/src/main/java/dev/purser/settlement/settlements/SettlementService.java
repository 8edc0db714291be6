package dev.purser.settlement.settlements;

import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Pages;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Reading settlements, their Merkle proofs, and an operator's retry of a failed one. */
@Service
public class SettlementService {

    private final JdbcClient jdbc;
    private final AuditLog audit;

    SettlementService(JdbcClient jdbc, AuditLog audit) {
        this.jdbc = jdbc;
        this.audit = audit;
    }

    public Optional<SettlementView> find(String id) {
        return jdbc.sql("SELECT * FROM settlements WHERE id = :id").param("id", id).query(this::map).optional();
    }

    public List<SettlementView> list(String agentId, String status, Pages.Cursor after, int limit) {
        return jdbc.sql("""
                SELECT * FROM settlements
                WHERE (CAST(:agentId AS text) IS NULL OR agent_id = :agentId)
                  AND (CAST(:status AS text) IS NULL OR status = :status)
                  AND (CAST(:at AS timestamptz) IS NULL OR (created_at, id) < (CAST(:at AS timestamptz), :cursorId))
                ORDER BY created_at DESC, id DESC LIMIT :limit
                """)
                .param("agentId", agentId)
                .param("status", status)
                .param("at", after == null ? null : Timestamp.from(after.createdAt()))
                .param("cursorId", after == null ? "" : after.id())
                .param("limit", limit)
                .query(this::map)
                .list();
    }

    /** The proof tying one settled authorization to the nonce the token recorded. */
    public record Proof(String settlementId, long chainId, String token, String from, String to, String amount, String nonce,
            String leaf, List<String> proof, String txHash, Long blockNumber, Integer logIndex) {}

    public sealed interface ProofResult permits ProofFound, ProofNotFound, NotFormed {}

    public record ProofFound(Proof proof) implements ProofResult {}

    public record ProofNotFound() implements ProofResult {}

    /** The settlement has no nonce yet (aggregation still open). */
    public record NotFormed() implements ProofResult {}

    public ProofResult proof(String settlementId, String authorizationId) {
        Optional<Object[]> row = jdbc.sql("""
                SELECT chain_id, token, from_address, merchant, amount_micros, nonce, tx_hash, block_number, log_index
                FROM settlements WHERE id = :id
                """)
                .param("id", settlementId)
                .query((rs, n) -> new Object[] {rs.getObject(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getLong(5), rs.getString(6), rs.getString(7), rs.getObject(8), rs.getObject(9)})
                .optional();
        if (row.isEmpty()) {
            return new ProofNotFound();
        }
        Object[] s = row.get();
        if (s[5] == null) {
            return new NotFormed();
        }
        List<SettlementMerkle.Item> items = jdbc.sql("""
                SELECT authorization_id, amount_micros FROM settlement_items WHERE settlement_id = :id ORDER BY position
                """)
                .param("id", settlementId)
                .query((rs, n) -> new SettlementMerkle.Item(rs.getString(1), rs.getLong(2)))
                .list();
        SettlementMerkle.Tree tree = SettlementMerkle.build(((Number) s[0]).longValue(), (String) s[1], (String) s[2],
                (String) s[3], items);
        var index = tree.indexOf(authorizationId);
        if (index.isEmpty()) {
            return new ProofNotFound();
        }
        if (!tree.rootHex().equals(s[5])) {
            throw new IllegalStateException("settlement " + settlementId + " no longer matches its nonce");
        }
        return new ProofFound(new Proof(settlementId, ((Number) s[0]).longValue(), (String) s[1], (String) s[2],
                (String) s[3], Money.ofMicros((Long) s[4]).toString(), (String) s[5], tree.leafHex(index.getAsInt()),
                tree.proofHex(index.getAsInt()), (String) s[6], s[7] == null ? null : ((Number) s[7]).longValue(),
                s[8] == null ? null : ((Number) s[8]).intValue()));
    }

    public sealed interface RetryResult permits Retried, RetryNotFound, NotFailed {}

    public record Retried(SettlementView settlement) implements RetryResult {}

    public record RetryNotFound() implements RetryResult {}

    public record NotFailed(String status) implements RetryResult {}

    /** Queues a failed settlement again with the same nonce (it is re-signed if its signature expired). */
    @Transactional
    public RetryResult retry(Caller operator, String id) {
        Optional<String> status = jdbc.sql("SELECT status FROM settlements WHERE id = :id FOR UPDATE")
                .param("id", id).query(String.class).optional();
        if (status.isEmpty()) {
            return new RetryNotFound();
        }
        if (!status.get().equals("failed")) {
            return new NotFailed(status.get());
        }
        jdbc.sql("UPDATE settlements SET status = 'queued', failure_reason = NULL, batch_id = NULL, retry_after = NULL WHERE id = :id")
                .param("id", id).update();
        SettlementView view = find(id).orElseThrow();
        audit.append("settlement.retried", operator, view.agentId(), id, Map.of("nonce", String.valueOf(view.nonce())));
        return new Retried(view);
    }

    private SettlementView map(ResultSet rs, int n) throws SQLException {
        String id = rs.getString("id");
        List<String> authorizationIds = jdbc.sql("SELECT authorization_id FROM settlement_items WHERE settlement_id = :id ORDER BY position")
                .param("id", id).query(String.class).list();
        return new SettlementView(id, rs.getString("agent_id"), rs.getString("from_address"), rs.getString("merchant"),
                Money.ofMicros(rs.getLong("amount_micros")).toString(), authorizationIds, rs.getString("nonce"),
                rs.getString("status"), rs.getString("tx_hash"), (Long) rs.getObject("block_number"),
                (Integer) rs.getObject("log_index"), rs.getString("failure_reason"), instant(rs, "created_at"),
                instant(rs, "submitted_at"), instant(rs, "confirmed_at"), instant(rs, "finalized_at"), rs.getString("kind"));
    }

    private static java.time.Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}

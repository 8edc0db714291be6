package dev.purser.settlement.audit;

import dev.purser.settlement.audit.verifier.ExportFormat;
import dev.purser.settlement.audit.verifier.SettlementProofs;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The settlements an auditor's verifier checks against the chain: every confirmed or finalized
 * settlement with its transfer's position on-chain and, per authorization it pays, the leaf and the
 * proof up to the nonce. Read with SQL from the settlements tables, read-only, a page at a time.
 *
 * <p>Settlements still queued, submitted or failed are left out: they have no transfer on the
 * canonical chain to check yet (or ever). Fundings and withdrawals are included with no
 * authorizations: their transfers are checked on-chain like payments.
 */
@Component
public class SettlementExport {

    /** Settlements per query; each brings its items with it in one more query. */
    public static final int PAGE_SETTLEMENTS = 500;

    private final JdbcClient jdbc;

    SettlementExport(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private record Row(String id, String kind, String agentId, String status, long chainId, String token, String from, String to,
            long amountMicros, String nonce, String txHash, long blockNumber, String blockHash, int logIndex,
            Instant createdAt) {}

    private record Item(String settlementId, String authorizationId, long amountMicros) {}

    /**
     * Hands each confirmed or finalized settlement created in [since, until) to {@code each}, oldest
     * first; either bound may be null. Returns how many there were.
     */
    public long forEach(Instant since, Instant until, Consumer<ExportFormat.SettlementLine> each) {
        Instant afterCreatedAt = null;
        String afterId = "";
        long count = 0;
        while (true) {
            List<Row> rows = page(since, until, afterCreatedAt, afterId);
            if (rows.isEmpty()) {
                return count;
            }
            Map<String, List<Item>> items = items(rows.stream().map(Row::id).toList());
            for (Row row : rows) {
                each.accept(line(row, items.getOrDefault(row.id(), List.of())));
                count++;
            }
            if (rows.size() < PAGE_SETTLEMENTS) {
                return count;
            }
            afterCreatedAt = rows.getLast().createdAt();
            afterId = rows.getLast().id();
        }
    }

    /**
     * The export line: leaves and proofs computed from the stored items in their stored order.
     * When the stored items no longer hash to the stored nonce (the database was changed), the
     * proofs simply fail to reach the nonce, which is what the verifier is there to notice.
     */
    private static ExportFormat.SettlementLine line(Row s, List<Item> items) {
        List<ExportFormat.AuthorizationLine> authorizations = new ArrayList<>(items.size());
        if (!items.isEmpty()) {
            List<byte[]> leaves = items.stream()
                    .map(i -> SettlementProofs.leaf(s.chainId(), s.token(), s.from(), s.to(), i.amountMicros(),
                            i.authorizationId()))
                    .toList();
            List<List<byte[]>> proofs = SettlementProofs.proofs(leaves);
            for (int i = 0; i < items.size(); i++) {
                authorizations.add(new ExportFormat.AuthorizationLine(items.get(i).authorizationId(),
                        items.get(i).amountMicros(), SettlementProofs.hex(leaves.get(i)),
                        proofs.get(i).stream().map(SettlementProofs::hex).toList()));
            }
        }
        return new ExportFormat.SettlementLine(ExportFormat.SETTLEMENT, s.kind(), s.id(), s.agentId(), s.status(), s.chainId(),
                s.token(), s.from(), s.to(), s.amountMicros(), s.nonce(), s.txHash(), s.blockNumber(), s.blockHash(),
                s.logIndex(), authorizations);
    }

    private List<Row> page(Instant since, Instant until, Instant afterCreatedAt, String afterId) {
        return jdbc.sql("""
                SELECT id, kind, agent_id, status, chain_id, token, from_address, merchant, amount_micros, nonce, tx_hash,
                       block_number, block_hash, log_index, created_at
                FROM settlements
                WHERE status IN ('confirmed', 'finalized')
                  AND (CAST(:since AS timestamptz) IS NULL OR created_at >= :since)
                  AND (CAST(:until AS timestamptz) IS NULL OR created_at < :until)
                  AND (CAST(:afterAt AS timestamptz) IS NULL OR (created_at, id) > (CAST(:afterAt AS timestamptz), :afterId))
                ORDER BY created_at, id
                LIMIT :limit
                """)
                .param("since", since == null ? null : Timestamp.from(since))
                .param("until", until == null ? null : Timestamp.from(until))
                .param("afterAt", afterCreatedAt == null ? null : Timestamp.from(afterCreatedAt))
                .param("afterId", afterId)
                .param("limit", PAGE_SETTLEMENTS)
                .query((rs, n) -> new Row(rs.getString("id"), rs.getString("kind"), rs.getString("agent_id"), rs.getString("status"),
                        rs.getLong("chain_id"), rs.getString("token"), rs.getString("from_address"),
                        rs.getString("merchant"), rs.getLong("amount_micros"), rs.getString("nonce"),
                        rs.getString("tx_hash"), rs.getLong("block_number"), rs.getString("block_hash"),
                        rs.getInt("log_index"), rs.getTimestamp("created_at").toInstant()))
                .list();
    }

    private Map<String, List<Item>> items(List<String> settlementIds) {
        Map<String, List<Item>> bySettlement = new LinkedHashMap<>();
        jdbc.sql("""
                SELECT settlement_id, authorization_id, amount_micros FROM settlement_items
                WHERE settlement_id IN (:ids) ORDER BY settlement_id, position
                """)
                .param("ids", settlementIds)
                .query((rs, n) -> new Item(rs.getString(1), rs.getString(2), rs.getLong(3)))
                .list()
                .forEach(i -> bySettlement.computeIfAbsent(i.settlementId(), k -> new ArrayList<>()).add(i));
        return bySettlement;
    }
}

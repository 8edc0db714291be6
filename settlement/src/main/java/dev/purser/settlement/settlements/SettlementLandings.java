package dev.purser.settlement.settlements;

import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.common.Money;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * What the chain indexer asks of settlements: which settlement a logged transfer or nonce
 * belongs to, and to forget landings that a reorg orphaned so the settler pays them again (with
 * the same nonce: the token never pays one twice).
 */
@Component
public class SettlementLandings {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SettlementLandings.class);

    private final JdbcClient jdbc;
    private final AgentFunds funds;
    private final AuditLog audit;
    private final org.web3j.protocol.Web3j web3j;

    SettlementLandings(JdbcClient jdbc, AgentFunds funds, AuditLog audit, org.web3j.protocol.Web3j web3j) {
        this.jdbc = jdbc;
        this.funds = funds;
        this.audit = audit;
        this.web3j = web3j;
    }

    /**
     * Which of these (payer, EIP-3009 nonce) pairs are ours: nonce → settlement id. One query for a
     * whole indexed range (nonces are unique across settlements; the payer must match too).
     */
    public Map<String, String> byNonces(Map<String, String> payerByNonce) {
        if (payerByNonce.isEmpty()) {
            return Map.of();
        }
        Map<String, String> found = new java.util.HashMap<>();
        jdbc.sql("SELECT id, nonce, from_address FROM settlements WHERE nonce = ANY(:nonces)")
                .param("nonces", payerByNonce.keySet().stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).toArray(String[]::new))
                .query(rs -> {
                    String payer = payerByNonce.get(rs.getString(2));
                    if (payer != null && payer.equalsIgnoreCase(rs.getString(3))) {
                        found.put(rs.getString(2), rs.getString(1));
                    }
                });
        return found;
    }

    /**
     * The indexer saw this settlement's transfer, at (txHash, logIndex), reach the confirmation
     * depth: the settlement is confirmed and its amount stops being pending (the indexer has moved
     * the balance itself). The indexed log index replaces the one the settler read from the
     * receipt (Ganache numbers receipt logs per transaction). Idempotent: only a submitted
     * settlement that recorded its landing in that transaction changes. Returns whether the
     * settlement is now confirmed or beyond (false: not landed yet, ask again later).
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public boolean confirm(String settlementId, String txHash, int logIndex, java.time.Instant at) {
        if (statusIs(settlementId, "confirmed", "finalized")) {
            return true;
        }
        var row = jdbc.sql("SELECT agent_id, amount_micros, kind, block_number FROM settlements WHERE id = :id AND status = 'submitted'"
                        + " AND tx_hash = :tx FOR UPDATE")
                .param("id", settlementId)
                .param("tx", txHash)
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getLong(2), rs.getString(3), rs.getLong(4)})
                .optional();
        if (row.isEmpty()) {
            return false;
        }
        Object[] s = row.get();
        jdbc.sql("UPDATE settlements SET status = 'confirmed', confirmed_at = :at, log_index = :idx WHERE id = :id")
                .param("at", java.sql.Timestamp.from(at)).param("idx", logIndex).param("id", settlementId).update();
        if (!"funding".equals(s[2])) {
            // A funding's amount arrives in the balance with its indexed Transfer; a payment's or a
            // withdrawal's stops being pending now that its Transfer has left the balance.
            funds.settlementConfirmed((String) s[0], Money.ofMicros((Long) s[1]));
        }
        audit.append("settlement.confirmed", null, (String) s[0], settlementId, Map.of("block_number", s[3]));
        return true;
    }

    /** The indexer saw this settlement's transfer at or below the finalized block. Idempotent; true once finalized. */
    @Transactional(propagation = Propagation.MANDATORY)
    public boolean finalizeSettlement(String settlementId, java.time.Instant at) {
        if (statusIs(settlementId, "finalized")) {
            return true;
        }
        var agent = jdbc.sql("SELECT agent_id FROM settlements WHERE id = :id AND status = 'confirmed' FOR UPDATE")
                .param("id", settlementId).query(String.class).optional();
        if (agent.isEmpty()) {
            return false;
        }
        jdbc.sql("UPDATE settlements SET status = 'finalized', finalized_at = :at WHERE id = :id")
                .param("at", java.sql.Timestamp.from(at)).param("id", settlementId).update();
        audit.append("settlement.finalized", null, agent.get(), settlementId, Map.of());
        return true;
    }

    private boolean statusIs(String settlementId, String... statuses) {
        String status = jdbc.sql("SELECT status FROM settlements WHERE id = :id").param("id", settlementId)
                .query(String.class).optional().orElse("");
        return java.util.Arrays.asList(statuses).contains(status);
    }

    /**
     * A reorg took the chain back to {@code ancestor}: every settlement that landed above it is
     * queued again (a confirmed one is pending again; the indexer gives the balance back).
     * Returns the transactions that had carried them, for {@link #rebroadcast} once this commits.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public List<String> rollBackAbove(long chainId, long ancestor) {
        List<Object[]> orphaned = jdbc.sql("""
                SELECT id, agent_id, amount_micros, status, block_number, tx_hash, kind FROM settlements
                WHERE chain_id = :chainId AND block_number > :ancestor AND status IN ('submitted', 'confirmed', 'finalized')
                FOR UPDATE
                """)
                .param("chainId", chainId)
                .param("ancestor", ancestor)
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getLong(5),
                        rs.getString(6), rs.getString(7)})
                .list();
        java.util.Set<String> transactions = new java.util.LinkedHashSet<>();
        // Rows first, audit last: the audit head is a global lock and is taken only at the end.
        List<Object[]> audits = new java.util.ArrayList<>();
        for (Object[] s : orphaned) {
            transactions.add((String) s[5]);
            if (!"submitted".equals(s[3])) {
                if (!"funding".equals(s[6])) {
                    funds.settlementUnconfirmed((String) s[1], Money.ofMicros((Long) s[2]));
                }
            }
            jdbc.sql("""
                    UPDATE settlements SET status = 'queued', batch_id = NULL, tx_hash = NULL, block_number = NULL,
                        block_hash = NULL, log_index = NULL, confirmed_at = NULL, finalized_at = NULL
                    WHERE id = :id
                    """).param("id", s[0]).update();
            audits.add(s);
        }
        for (Object[] s : audits) {
            audit.append("settlement.reorged", null, (String) s[1], (String) s[0],
                    Map.of("was", s[3], "block_number", s[4], "ancestor", ancestor));
        }
        return List.copyOf(transactions);
    }

    /**
     * Sends the orphaned transactions that our relayer signed again, byte for byte, as a node does
     * with a reorg's transactions: their nonces land where they can, and the settlements queued
     * again then find their EIP-3009 nonce used and record that landing instead of paying twice.
     */
    public void rebroadcast(List<String> txHashes) {
        for (String txHash : txHashes) {
            jdbc.sql("SELECT signed_raw FROM relayer_attempt WHERE tx_hash = :tx")
                    .param("tx", txHash)
                    .query(byte[].class)
                    .optional()
                    .ifPresent(raw -> {
                        try {
                            var r = web3j.ethSendRawTransaction(org.web3j.utils.Numeric.toHexString(raw)).send();
                            if (r.hasError()) {
                                log.info("Rebroadcast of {} after a reorg answered: {}", txHash, r.getError().getMessage());
                            }
                        } catch (java.io.IOException e) {
                            log.warn("Rebroadcast of {} after a reorg failed: {}", txHash, e.getMessage());
                        }
                    });
        }
    }
}

package dev.purser.settlement.audit;

import dev.purser.settlement.common.Money;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reconciles what the service recorded with what the indexer saw on the chain ({@code
 * chain_events}), read-only:
 *
 * <ul>
 *   <li>each confirmed or finalized settlement has, at its (tx hash, log index), a non-removed
 *       Transfer of its token from its agent wallet to its merchant for exactly its amount, no
 *       other non-removed Transfer tied to it, and the same transaction has the token's
 *       AuthorizationUsed(from, nonce);
 *   <li>each non-removed Transfer out of an agent wallet is a settlement's transfer;
 *   <li>per agent, the balance the ledger uses equals its applied indexed Transfers, and the
 *       indexer's last cross-check found it equal to balanceOf.
 * </ul>
 *
 * <p>Bounded: the newest {@link #MAX_SETTLEMENTS} settlements and {@link #MAX_AGENTS} agents are
 * checked and at most {@link #MAX_MISMATCHES} mismatches are listed; the report says so. A
 * settlement in a block the indexer has not passed yet is counted, not checked, and so is an agent
 * whose balance cannot be compared yet (see {@link #checkBalances}). Settlements of every kind
 * (payments, fundings, withdrawals) are checked, and each explains its own transfer.
 *
 * <p>Event arguments are read as the indexer stores them, named after the events' Solidity
 * parameters: Transfer {@code {from, to, value}}, AuthorizationUsed {@code {authorizer, nonce}},
 * addresses as hex in any case, {@code value} as a decimal string (or JSON number) of micro-USDC.
 */
@Component
public class Reconciliation {

    public static final int MAX_SETTLEMENTS = 10_000;
    public static final int MAX_AGENTS = 10_000;
    public static final int MAX_MISMATCHES = 1_000;

    private final JdbcClient jdbc;
    private final Clock clock;

    Reconciliation(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The bounds a report was made under. */
    public record Limits(int settlementsMax, int agentsMax, int mismatchesMax) {}

    public record Report(Instant checkedAt, int settlementsChecked, int settlementsNotYetIndexed, int agentsChecked,
            int agentsNotComparable, List<Map<String, Object>> mismatches, boolean mismatchesTruncated, Limits limits,
            String scope) {}

    /**
     * Runs every check in one read-only snapshot, so that settlements, chain events and balances
     * are compared as of one instant even while the settler and the indexer keep writing.
     */
    @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
    public Report reconcile() {
        Instant checkedAt = clock.instant();
        Mismatches mismatches = new Mismatches();
        int[] settlementCounts = checkSettlements(mismatches);
        checkOutflows(mismatches);
        int[] agentCounts = checkBalances(mismatches);
        return new Report(checkedAt, settlementCounts[0], settlementCounts[1], agentCounts[0], agentCounts[1],
                mismatches.list, mismatches.truncated, new Limits(MAX_SETTLEMENTS, MAX_AGENTS, MAX_MISMATCHES),
                "the newest " + MAX_SETTLEMENTS + " confirmed or finalized settlements, every indexed transfer out of an"
                        + " agent wallet, and the newest " + MAX_AGENTS + " agents' balances; at most " + MAX_MISMATCHES
                        + " mismatches are listed");
    }

    /** Returns {checked, not yet indexed}. */
    private int[] checkSettlements(Mismatches mismatches) {
        int[] counts = new int[2];
        jdbc.sql("""
                WITH recent AS (
                    SELECT id, agent_id, chain_id, token, from_address, merchant, amount_micros, nonce, tx_hash,
                           block_number, log_index
                    FROM settlements
                    WHERE status IN ('confirmed', 'finalized')
                    ORDER BY created_at DESC, id DESC
                    LIMIT :max
                )
                SELECT r.*,
                       (c.next_block IS NOT NULL AND r.block_number < c.next_block) AS indexed,
                       t.event AS t_event, t.status AS t_status, t.contract AS t_contract,
                       t.args->>'from' AS t_from, t.args->>'to' AS t_to, t.args->>'value' AS t_value,
                       EXISTS (SELECT 1 FROM chain_events u
                               WHERE u.chain_id = r.chain_id AND u.tx_hash = r.tx_hash
                                 AND u.event = 'AuthorizationUsed' AND u.status <> 'removed'
                                 AND lower(u.contract) = lower(r.token)
                                 AND lower(u.args->>'authorizer') = lower(r.from_address)
                                 AND lower(u.args->>'nonce') = lower(r.nonce)) AS used,
                       (SELECT count(*) FROM chain_events d
                        WHERE d.settlement_id = r.id AND d.event = 'Transfer' AND d.status <> 'removed'
                          AND NOT (d.chain_id = r.chain_id AND d.tx_hash = r.tx_hash AND d.log_index = r.log_index))
                           AS other_transfers
                FROM recent r
                LEFT JOIN indexer_cursor c ON c.chain_id = r.chain_id
                LEFT JOIN chain_events t
                       ON t.chain_id = r.chain_id AND t.tx_hash = r.tx_hash AND t.log_index = r.log_index
                ORDER BY r.block_number, r.log_index
                """)
                .param("max", MAX_SETTLEMENTS)
                .query(rs -> {
                    if (!rs.getBoolean("indexed")) {
                        counts[1]++;
                        return;
                    }
                    counts[0]++;
                    String id = rs.getString("id");
                    String txHash = rs.getString("tx_hash");
                    int logIndex = rs.getInt("log_index");
                    String event = rs.getString("t_event");
                    String status = rs.getString("t_status");
                    if (event == null || "removed".equals(status) || !"Transfer".equals(event)) {
                        mismatches.add("transfer_missing", "settlement_id", id, "agent_id", rs.getString("agent_id"),
                                "tx_hash", txHash, "log_index", logIndex,
                                "found", event == null ? null : event + " (" + status + ")");
                    } else {
                        compare(mismatches, id, txHash, logIndex, "contract", rs.getString("token"), rs.getString("t_contract"));
                        compare(mismatches, id, txHash, logIndex, "from", rs.getString("from_address"), rs.getString("t_from"));
                        compare(mismatches, id, txHash, logIndex, "to", rs.getString("merchant"), rs.getString("t_to"));
                        BigInteger value = micros(rs.getString("t_value"));
                        BigInteger amount = BigInteger.valueOf(rs.getLong("amount_micros"));
                        if (!amount.equals(value)) {
                            mismatches.add("transfer_mismatch", "settlement_id", id, "tx_hash", txHash, "log_index", logIndex,
                                    "field", "value", "expected", Money.format(amount), "actual",
                                    value == null ? rs.getString("t_value") : Money.format(value));
                        }
                    }
                    long others = rs.getLong("other_transfers");
                    if (others > 0) {
                        // Exactly one transfer pays a settlement: another live one tied to it means the
                        // index (or the ledger's record of where it landed) is wrong.
                        mismatches.add("transfer_duplicate", "settlement_id", id, "tx_hash", txHash, "log_index", logIndex,
                                "other_transfers", others);
                    }
                    if (!rs.getBoolean("used")) {
                        mismatches.add("authorization_used_missing", "settlement_id", id, "tx_hash", txHash,
                                "from", rs.getString("from_address"), "nonce", rs.getString("nonce"));
                    }
                });
        return counts;
    }

    private static void compare(Mismatches mismatches, String settlementId, String txHash, int logIndex, String field,
            String expected, String actual) {
        if (actual == null || !expected.toLowerCase(Locale.ROOT).equals(actual.toLowerCase(Locale.ROOT))) {
            mismatches.add("transfer_mismatch", "settlement_id", settlementId, "tx_hash", txHash, "log_index", logIndex,
                    "field", field, "expected", expected, "actual", actual);
        }
    }

    private void checkOutflows(Mismatches mismatches) {
        jdbc.sql("""
                SELECT e.chain_id, e.tx_hash, e.log_index, e.block_number, e.status, e.args->>'from' AS from_address,
                       e.args->>'to' AS to_address, e.args->>'value' AS value, a.id AS agent_id
                FROM agents a
                JOIN chain_events e
                  ON e.addresses @> ARRAY[lower(a.wallet_address)]
                 AND lower(e.args->>'from') = lower(a.wallet_address)
                WHERE e.event = 'Transfer' AND e.status <> 'removed'
                  AND NOT EXISTS (SELECT 1 FROM settlements s
                                  WHERE s.chain_id = e.chain_id AND s.tx_hash = e.tx_hash AND s.log_index = e.log_index)
                ORDER BY e.block_number DESC, e.log_index DESC
                LIMIT :limit
                """)
                .param("limit", MAX_MISMATCHES + 1)
                .query(rs -> {
                    BigInteger value = micros(rs.getString("value"));
                    mismatches.add("unexplained_outflow", "agent_id", rs.getString("agent_id"),
                            "chain_id", rs.getLong("chain_id"), "tx_hash", rs.getString("tx_hash"),
                            "log_index", rs.getInt("log_index"), "block_number", rs.getLong("block_number"),
                            "status", rs.getString("status"), "from", rs.getString("from_address"),
                            "to", rs.getString("to_address"), "amount", value == null ? rs.getString("value") : Money.format(value));
                });
    }

    /**
     * Per agent, two comparisons. The ledger's balance (the sum the indexer keeps in agent_funds)
     * against the sum of the confirmed Transfers in chain_events that it says it applied: they are
     * written in one transaction, so in this snapshot they must be equal. And the indexer's last
     * cross-check of that balance against the token's balanceOf at a block. Returns {checked
     * against both, not cross-checked against the chain yet}.
     */
    private int[] checkBalances(Mismatches mismatches) {
        int[] counts = new int[2];
        jdbc.sql("""
                WITH a AS (
                    SELECT id, wallet_address, lower(wallet_address) AS w FROM agents
                    ORDER BY created_at DESC, id DESC
                    LIMIT :max
                )
                SELECT a.id, a.wallet_address, f.indexed_micros, f.chain_balance_micros, f.chain_balance_block,
                       f.balance_checked_at, f.balance_mismatch,
                       COALESCE(sum(CASE WHEN lower(e.args->>'to') = a.w AND e.args->>'value' ~ '^[0-9]{1,78}$'
                                         THEN (e.args->>'value')::numeric ELSE 0 END), 0)
                     - COALESCE(sum(CASE WHEN lower(e.args->>'from') = a.w AND e.args->>'value' ~ '^[0-9]{1,78}$'
                                         THEN (e.args->>'value')::numeric ELSE 0 END), 0) AS events_micros,
                       count(e.tx_hash) FILTER (WHERE e.args->>'value' IS NULL OR e.args->>'value' !~ '^[0-9]{1,78}$')
                           AS malformed
                FROM a
                JOIN agent_funds f ON f.agent_id = a.id
                LEFT JOIN chain_events e
                       ON e.event = 'Transfer' AND e.balance_applied AND e.addresses @> ARRAY[a.w]
                GROUP BY a.id, a.wallet_address, f.indexed_micros, f.chain_balance_micros, f.chain_balance_block,
                         f.balance_checked_at, f.balance_mismatch
                ORDER BY a.id
                """)
                .param("max", MAX_AGENTS)
                .query(rs -> {
                    String agentId = rs.getString("id");
                    long malformed = rs.getLong("malformed");
                    if (malformed > 0) {
                        mismatches.add("malformed_chain_event", "agent_id", agentId, "transfers", malformed,
                                "detail", "Transfer events whose value is not a decimal amount of micro-USDC");
                    }
                    BigInteger ledger = rs.getBigDecimal("indexed_micros").toBigIntegerExact();
                    BigInteger events = rs.getBigDecimal("events_micros").toBigIntegerExact();
                    if (!events.equals(ledger)) {
                        mismatches.add("balance_mismatch", "agent_id", agentId, "wallet_address", rs.getString("wallet_address"),
                                "source", "chain_events", "indexed_balance", Money.format(events),
                                "ledger_balance", Money.format(ledger));
                    }
                    Timestamp checkedAt = rs.getTimestamp("balance_checked_at");
                    if (checkedAt == null) {
                        counts[1]++;
                        return;
                    }
                    counts[0]++;
                    if (rs.getBoolean("balance_mismatch")) {
                        mismatches.add("balance_mismatch", "agent_id", agentId, "wallet_address", rs.getString("wallet_address"),
                                "source", "balanceOf", "indexed_balance", Money.format(ledger),
                                "onchain_balance", Money.format(rs.getBigDecimal("chain_balance_micros").toBigIntegerExact()),
                                "block_number", rs.getLong("chain_balance_block"), "checked_at", checkedAt.toInstant());
                    }
                });
        return counts;
    }

    /** A uint256 value as the indexer stored it, or null when it is not a decimal number. */
    private static BigInteger micros(String value) {
        if (value == null || !value.matches("[0-9]{1,78}")) {
            return null;
        }
        return new BigInteger(value);
    }


    private static final class Mismatches {
        private final List<Map<String, Object>> list = new ArrayList<>();
        private boolean truncated;

        /** Adds {@code {kind, key1: value1, …}}. */
        void add(String kind, Object... keysAndValues) {
            if (list.size() >= MAX_MISMATCHES) {
                truncated = true;
                return;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", kind);
            for (int i = 0; i < keysAndValues.length; i += 2) {
                m.put((String) keysAndValues[i], keysAndValues[i + 1]);
            }
            list.add(m);
        }
    }
}

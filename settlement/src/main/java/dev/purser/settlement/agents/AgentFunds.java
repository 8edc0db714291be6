package dev.purser.settlement.agents;

import dev.purser.settlement.common.Money;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The funds bound of every agent: held + pending_settlement ≤ onchain, kept by conditional
 * UPDATEs in the caller's transaction. Lock order, everywhere: a credential row (pre-authorize
 * only), then the agent's agent_funds row, then daily_spend, then the audit log's head.
 *
 * <p>{@code onchain} is the wallet's balance as the index knows it: the sum of its confirmed
 * Transfers, applied once each by the indexer ({@link #applyIndexedTransfers}) and taken back out
 * by a reorg. The indexer cross-checks it against balanceOf at the block the index is complete
 * to ({@link #recordChainBalance}). Nothing on the request path reads the chain.
 */
@Component
public class AgentFunds {

    private final JdbcClient jdbc;

    AgentFunds(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Locks the agent's funds row until the caller's transaction ends (to keep the lock order). */
    @Transactional(propagation = Propagation.MANDATORY)
    public void lock(String agentId) {
        jdbc.sql("SELECT 1 FROM agent_funds WHERE agent_id = :id FOR UPDATE").param("id", agentId).query(Integer.class).single();
    }

    /**
     * Holds {@code amount} if the agent's available funds cover it. Returns empty when held, or
     * the available amount when they do not (and nothing changed).
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public Optional<Money> tryHold(String agentId, Money amount) {
        return takeIfAvailable(agentId, amount, "held_micros");
    }

    /**
     * Adds {@code amount} to one of the columns that count against the wallet, in the one
     * statement that checks the wallet covers it. Empty when taken, else what is available.
     */
    private Optional<Money> takeIfAvailable(String agentId, Money amount, String column) {
        int updated = jdbc.sql("UPDATE agent_funds SET " + column + " = " + column + " + :amount"
                        + " WHERE agent_id = :id AND onchain_micros - held_micros - pending_settlement_micros >= :amount")
                .param("amount", amount.micros())
                .param("id", agentId)
                .update();
        return updated == 1 ? Optional.empty() : Optional.of(balance(agentId).available());
    }

    /** Releases a hold (void, expiry, decline): held -= amount. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void release(String agentId, Money amount) {
        requireOne(jdbc.sql("UPDATE agent_funds SET held_micros = held_micros - :amount WHERE agent_id = :id AND held_micros >= :amount")
                .param("amount", amount.micros())
                .param("id", agentId)
                .update(), "release", agentId);
    }

    /** Settles a hold: the whole hold leaves held and the settled part waits for the chain. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void settle(String agentId, Money held, Money settled) {
        requireOne(jdbc.sql("""
                UPDATE agent_funds
                SET held_micros = held_micros - :held, pending_settlement_micros = pending_settlement_micros + :settled
                WHERE agent_id = :id AND held_micros >= :held
                """)
                .param("held", held.micros())
                .param("settled", settled.micros())
                .param("id", agentId)
                .update(), "settle", agentId);
    }

    /**
     * A settlement of {@code amount} is confirmed on-chain: it stops being pending. The indexer has
     * already taken its Transfer out of the balance (in this transaction or an earlier one), so
     * available never jumps up in between: at worst it counts the amount twice for a moment.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void settlementConfirmed(String agentId, Money amount) {
        requireOne(jdbc.sql("""
                UPDATE agent_funds SET pending_settlement_micros = pending_settlement_micros - :amount
                WHERE agent_id = :id AND pending_settlement_micros >= :amount
                """)
                .param("amount", amount.micros())
                .param("id", agentId)
                .update(), "confirm", agentId);
    }

    /**
     * A confirmed settlement was orphaned by a reorg: it is pending again (the indexer gives its
     * Transfer back to the balance in the same transaction).
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void settlementUnconfirmed(String agentId, Money amount) {
        requireOne(jdbc.sql("""
                UPDATE agent_funds SET pending_settlement_micros = pending_settlement_micros + :amount
                WHERE agent_id = :id
                """)
                .param("amount", amount.micros())
                .param("id", agentId)
                .update(), "unconfirm", agentId);
    }

    /**
     * Reserves {@code amount} for a withdrawal if the agent's available funds cover it (it then
     * waits as pending like a settled payment). Empty when reserved, else what is available.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public Optional<Money> tryReserveWithdrawal(String agentId, Money amount) {
        return takeIfAvailable(agentId, amount, "pending_settlement_micros");
    }

    /**
     * Adds confirmed Transfers (or, negated, takes orphaned ones back) to the balances of the
     * agents they touch: {@code deltas} maps agent id to micro-USDC in minus out. Rows are locked
     * in id order, so two callers never wait on each other in a cycle.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void applyIndexedTransfers(Map<String, BigInteger> deltas) {
        new TreeMap<>(deltas).forEach((agentId, delta) -> {
            if (delta.signum() != 0) {
                jdbc.sql("""
                        UPDATE agent_funds
                        SET indexed_micros = indexed_micros + :delta,
                            onchain_micros = LEAST(GREATEST(indexed_micros + :delta, 0), :max)
                        WHERE agent_id = :id
                        """)
                        .param("delta", new BigDecimal(delta))
                        .param("max", Money.MAX.micros())
                        .param("id", agentId)
                        .update();
            }
        });
    }

    /** The agents whose balance was cross-checked longest ago (never first). */
    public List<String> leastRecentlyChecked(int limit) {
        return jdbc.sql("SELECT agent_id FROM agent_funds ORDER BY balance_checked_at NULLS FIRST, agent_id LIMIT :n")
                .param("n", limit)
                .query(String.class)
                .list();
    }

    /** The indexed balance of an agent in exact micro-USDC (negative if the index missed a deposit). */
    public BigInteger indexedBalance(String agentId) {
        return jdbc.sql("SELECT indexed_micros FROM agent_funds WHERE agent_id = :id").param("id", agentId)
                .query(BigDecimal.class).single().toBigIntegerExact();
    }

    /**
     * Records balanceOf at {@code block} for an agent whose indexed balance is {@code indexed} at that
     * block. Returns true when this turns the agent's state from matching to mismatching (the
     * caller reports each mismatch once).
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public boolean recordChainBalance(String agentId, BigInteger chain, long block, BigInteger indexed, Instant at) {
        boolean mismatch = !chain.equals(indexed);
        Optional<Boolean> before = jdbc.sql("SELECT balance_mismatch FROM agent_funds WHERE agent_id = :id FOR UPDATE")
                .param("id", agentId)
                .query(Boolean.class)
                .optional();
        if (before.isEmpty()) {
            return false;
        }
        jdbc.sql("""
                UPDATE agent_funds SET chain_balance_micros = :chain, chain_balance_block = :block,
                    balance_checked_at = :at, balance_mismatch = :mismatch
                WHERE agent_id = :id
                """)
                .param("chain", new BigDecimal(chain))
                .param("block", block)
                .param("at", Timestamp.from(at))
                .param("mismatch", mismatch)
                .param("id", agentId)
                .update();
        return mismatch && !before.get();
    }

    public Balance balance(String agentId) {
        return jdbc.sql("SELECT onchain_micros, held_micros, pending_settlement_micros FROM agent_funds WHERE agent_id = :id")
                .param("id", agentId)
                .query((rs, n) -> new Balance(Money.ofMicros(rs.getLong(1)), Money.ofMicros(rs.getLong(2)),
                        Money.ofMicros(rs.getLong(3))))
                .single();
    }

    private static void requireOne(int rows, String what, String agentId) {
        if (rows != 1) {
            // The ledger's own bookkeeping disagrees with itself: a bug, never a client's mistake.
            throw new IllegalStateException(what + " of agent " + agentId + " touched " + rows + " fund rows");
        }
    }
}

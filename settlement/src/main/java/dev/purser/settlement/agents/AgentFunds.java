package dev.purser.settlement.agents;

import dev.purser.settlement.chain.TokenBalances;
import dev.purser.settlement.common.Money;
import java.math.BigInteger;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The funds bound of every agent: held + pending_settlement ≤ onchain, kept by conditional
 * UPDATEs in the caller's transaction. Lock order, everywhere: a credential row (pre-authorize
 * only), then the agent's agent_funds row, then daily_spend, then the audit log's head. The on-chain balance is read from the chain and cached for
 * a short time; a chain that cannot be read leaves the last known balance in force.
 */
@Component
public class AgentFunds {

    private final JdbcClient jdbc;
    private final TokenBalances balances;
    private final Clock clock;
    /** How long an on-chain balance read is trusted before it is read again. */
    private final Duration onchainCache;

    AgentFunds(JdbcClient jdbc, TokenBalances balances, Clock clock,
            @Value("${purser.ledger.onchain-balance-cache:PT5S}") Duration onchainCache) {
        this.jdbc = jdbc;
        this.balances = balances;
        this.clock = clock;
        this.onchainCache = onchainCache;
    }

    /** A balance read from the chain, to be written only if the ledger has not moved it since. */
    public record OnchainRead(String agentId, long micros, long version, Instant readAt) {}

    /**
     * Reads the wallet's balance from the chain when the cached one is older than the configured
     * cache time, without writing or locking anything: the caller applies it with
     * {@link #apply} at the right point of its lock order.
     */
    public Optional<OnchainRead> readOnchainIfStale(String agentId) {
        Instant now = clock.instant();
        var row = jdbc.sql("""
                SELECT a.wallet_address, f.onchain_read_at, f.version
                FROM agents a JOIN agent_funds f ON f.agent_id = a.id WHERE a.id = :id
                """)
                .param("id", agentId)
                .query((rs, n) -> new Object[] {rs.getString(1), rs.getTimestamp(2), rs.getLong(3)})
                .optional();
        if (row.isEmpty()) {
            return Optional.empty();
        }
        Timestamp readAt = (Timestamp) row.get()[1];
        if (readAt != null && readAt.toInstant().plus(onchainCache).isAfter(now)) {
            return Optional.empty();
        }
        return balances.balanceOf((String) row.get()[0])
                .map(b -> new OnchainRead(agentId, clampToLong(b), (Long) row.get()[2], now));
    }

    /**
     * Writes a balance read, unless the ledger moved the balance itself (a confirmation, a reorg)
     * since the read began: then the read is older than the ledger and is dropped.
     */
    public void apply(Optional<OnchainRead> read) {
        read.ifPresent(r -> jdbc.sql("""
                UPDATE agent_funds SET onchain_micros = :b, onchain_read_at = :at WHERE agent_id = :id AND version = :version
                """)
                .param("b", r.micros())
                .param("at", Timestamp.from(r.readAt()))
                .param("id", r.agentId())
                .param("version", r.version())
                .update());
    }

    /** Locks the agent's funds row until the caller's transaction ends (to keep the lock order). */
    @Transactional(propagation = Propagation.MANDATORY)
    public void lock(String agentId) {
        jdbc.sql("SELECT 1 FROM agent_funds WHERE agent_id = :id FOR UPDATE").param("id", agentId).query(Integer.class).single();
    }

    /** Reads and applies at once: for callers outside any ledger transaction (reads, top-up, withdraw). */
    public void refreshOnchainIfStale(String agentId) {
        apply(readOnchainIfStale(agentId));
    }

    private static long clampToLong(BigInteger b) {
        return b.min(BigInteger.valueOf(Money.MAX.micros())).longValueExact();
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
     * A settlement of {@code amount} is confirmed on-chain: it stops being pending and the wallet's
     * balance is known to have dropped by it, in one statement so that available never jumps.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void settlementConfirmed(String agentId, Money amount) {
        requireOne(jdbc.sql("""
                UPDATE agent_funds
                SET pending_settlement_micros = pending_settlement_micros - :amount,
                    onchain_micros = GREATEST(onchain_micros - :amount, 0), version = version + 1
                WHERE agent_id = :id AND pending_settlement_micros >= :amount
                """)
                .param("amount", amount.micros())
                .param("id", agentId)
                .update(), "confirm", agentId);
    }

    /** A confirmed settlement was orphaned by a reorg: it is pending again and the money is back. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void settlementUnconfirmed(String agentId, Money amount) {
        requireOne(jdbc.sql("""
                UPDATE agent_funds
                SET pending_settlement_micros = pending_settlement_micros + :amount,
                    onchain_micros = onchain_micros + :amount, version = version + 1
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

    /** Money arrived in the wallet (a funding confirmed): read the balance from the chain next time. */
    @Transactional(propagation = Propagation.MANDATORY)
    public void depositConfirmed(String agentId) {
        jdbc.sql("UPDATE agent_funds SET onchain_read_at = NULL, version = version + 1 WHERE agent_id = :id")
                .param("id", agentId)
                .update();
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

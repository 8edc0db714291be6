package dev.purser.settlement.settlements;

import dev.purser.settlement.common.Ids;
import dev.purser.settlement.common.Money;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Where settled authorizations wait to be paid on-chain. The ledger enqueues in the same database
 * transaction as the settle itself, so a settle that returned 200 can never be lost.
 */
@Component
public class SettlementQueue {

    private final JdbcClient jdbc;

    SettlementQueue(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** A settlement as the authorization shows it. */
    public record Summary(String id, String status, String txHash) {}

    /**
     * Queues the payment of one settled authorization to its merchant and returns the settlement
     * id. Immediate mode: one settlement per authorization.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public String enqueue(String agentId, String from, String merchant, String authorizationId, Money amount, Instant now) {
        String id = Ids.newId("stl", now);
        jdbc.sql("""
                INSERT INTO settlements (id, agent_id, from_address, merchant, amount_micros, status, created_at)
                VALUES (:id, :agentId, :from, :merchant, :amount, 'queued', :now)
                """)
                .param("id", id)
                .param("agentId", agentId)
                .param("from", from)
                .param("merchant", merchant)
                .param("amount", amount.micros())
                .param("now", Timestamp.from(now))
                .update();
        jdbc.sql("""
                INSERT INTO settlement_items (authorization_id, settlement_id, amount_micros, position)
                VALUES (:authorizationId, :id, :amount, 0)
                """)
                .param("authorizationId", authorizationId)
                .param("id", id)
                .param("amount", amount.micros())
                .update();
        return id;
    }

    public Optional<Summary> summary(String settlementId) {
        return jdbc.sql("SELECT id, status, tx_hash FROM settlements WHERE id = :id")
                .param("id", settlementId)
                .query((rs, n) -> new Summary(rs.getString(1), rs.getString(2), rs.getString(3)))
                .optional();
    }
}

package dev.purser.settlement.settlements;

import dev.purser.settlement.common.Ids;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.config.PurserProperties;
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
 *
 * <p>Immediate mode gives each authorization its own settlement. Aggregated mode appends it to the
 * open settlement of its (agent, merchant) while that one has room (count and amount); the settler
 * closes an open settlement (fixes its nonce) when its window ends or it is full. A settlement
 * with a nonce never changes its composition again.
 */
@Component
public class SettlementQueue {

    private final JdbcClient jdbc;
    private final PurserProperties.Settlement settings;
    private final Money aggregationMaxAmount;

    SettlementQueue(JdbcClient jdbc, PurserProperties properties) {
        this.jdbc = jdbc;
        this.settings = properties.settlement();
        this.aggregationMaxAmount = Money.parse(settings.aggregationMaxAmount());
    }

    /** A settlement as the authorization shows it. */
    public record Summary(String id, String status, String txHash) {}

    /** Queues the payment of one settled authorization to its merchant; returns the settlement id. */
    @Transactional(propagation = Propagation.MANDATORY)
    public String enqueue(String agentId, String from, String merchant, String authorizationId, Money amount, Instant now) {
        if (settings.aggregated()) {
            Optional<String> open = jdbc.sql("""
                    SELECT s.id FROM settlements s
                    WHERE s.agent_id = :agentId AND s.merchant = :merchant AND s.nonce IS NULL AND s.status = 'queued'
                      AND s.amount_micros + :amount <= :maxAmount
                      AND (SELECT count(*) FROM settlement_items i WHERE i.settlement_id = s.id) < :maxItems
                    ORDER BY s.created_at LIMIT 1 FOR UPDATE
                    """)
                    .param("agentId", agentId)
                    .param("merchant", merchant)
                    .param("amount", amount.micros())
                    .param("maxAmount", aggregationMaxAmount.micros())
                    .param("maxItems", settings.aggregationMaxItems())
                    .query(String.class)
                    .optional();
            if (open.isPresent()) {
                jdbc.sql("UPDATE settlements SET amount_micros = amount_micros + :amount WHERE id = :id AND nonce IS NULL")
                        .param("amount", amount.micros())
                        .param("id", open.get())
                        .update();
                addItem(open.get(), authorizationId, amount);
                return open.get();
            }
        }
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
        addItem(id, authorizationId, amount);
        return id;
    }

    /**
     * Queues an operator's transfer: a {@code funding} (treasury → agent wallet) or a
     * {@code withdrawal} (agent wallet → elsewhere). It is paid by the settler like any settlement.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public String enqueueTransfer(String kind, String agentId, String from, String to, Money amount, Instant now) {
        if (!kind.equals("funding") && !kind.equals("withdrawal")) {
            throw new IllegalArgumentException("a treasury transfer is a funding or a withdrawal, not " + kind);
        }
        String id = Ids.newId("stl", now);
        jdbc.sql("""
                INSERT INTO settlements (id, agent_id, from_address, merchant, amount_micros, status, created_at, kind)
                VALUES (:id, :agentId, :from, :to, :amount, 'queued', :now, :kind)
                """)
                .param("id", id)
                .param("agentId", agentId)
                .param("from", from)
                .param("to", to)
                .param("amount", amount.micros())
                .param("now", Timestamp.from(now))
                .param("kind", kind)
                .update();
        return id;
    }

    private void addItem(String settlementId, String authorizationId, Money amount) {
        jdbc.sql("""
                INSERT INTO settlement_items (authorization_id, settlement_id, amount_micros, position)
                VALUES (:authorizationId, :id, :amount,
                        (SELECT count(*) FROM settlement_items WHERE settlement_id = :id))
                """)
                .param("authorizationId", authorizationId)
                .param("id", settlementId)
                .param("amount", amount.micros())
                .update();
    }

    public Optional<Summary> summary(String settlementId) {
        return jdbc.sql("SELECT id, status, tx_hash FROM settlements WHERE id = :id")
                .param("id", settlementId)
                .query((rs, n) -> new Summary(rs.getString(1), rs.getString(2), rs.getString(3)))
                .optional();
    }
}

package dev.purser.settlement.treasury;

import dev.purser.settlement.agents.AgentFunds;
import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.agents.AvailableBalanceChanged;
import dev.purser.settlement.agents.Balance;
import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.chain.TokenBalances;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.settlements.SettlementQueue;
import dev.purser.settlement.web.Caller;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Auto top-up: when an agent's available balance (plus fundings already on their way) is below
 * its threshold, the treasury sends the configured amount, never more than daily_max in a UTC day.
 * Evaluated after every change of an agent's available balance and every few seconds for all
 * agents; each evaluation locks the agent's top-up row, and the day's total is taken by a
 * conditional UPDATE, so concurrent triggers and restarts can never exceed the daily maximum.
 */
@Component("treasury")
public class TopUps implements HealthIndicator {

    private static final Logger log = LoggerFactory.getLogger(TopUps.class);
    static final int AGENTS_PER_SWEEP_MAX = 1_000;
    static final Status WARNING = new Status("WARNING");

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final AgentFunds funds;
    private final AgentService agents;
    private final TokenBalances balances;
    private final Custody custody;
    private final SettlementQueue queue;
    private final AuditLog audit;
    private final Clock clock;
    private final AtomicReference<String> treasuryProblem = new AtomicReference<>();

    TopUps(JdbcClient jdbc, TransactionTemplate tx, AgentFunds funds, AgentService agents, TokenBalances balances,
            Custody custody, SettlementQueue queue, AuditLog audit, Clock clock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.funds = funds;
        this.agents = agents;
        this.balances = balances;
        this.custody = custody;
        this.queue = queue;
        this.audit = audit;
        this.clock = clock;
    }

    public record TopUp(Money threshold, Money amount, Money dailyMax) {}

    public void configure(Caller operator, String agentId, TopUp rule) {
        tx.executeWithoutResult(s -> {
            jdbc.sql("""
                    INSERT INTO agent_top_ups (agent_id, threshold_micros, amount_micros, daily_max_micros, updated_at)
                    VALUES (:a, :t, :m, :d, :now)
                    ON CONFLICT (agent_id) DO UPDATE SET threshold_micros = :t, amount_micros = :m, daily_max_micros = :d,
                        updated_at = :now
                    """)
                    .param("a", agentId).param("t", rule.threshold().micros()).param("m", rule.amount().micros())
                    .param("d", rule.dailyMax().micros()).param("now", Timestamp.from(clock.instant()))
                    .update();
            audit.append("top_up.configured", operator, agentId, agentId, Map.of("threshold", rule.threshold().toString(),
                    "amount", rule.amount().toString(), "daily_max", rule.dailyMax().toString()));
        });
        evaluate(agentId);
    }

    public boolean remove(Caller operator, String agentId) {
        return Boolean.TRUE.equals(tx.execute(s -> {
            int rows = jdbc.sql("DELETE FROM agent_top_ups WHERE agent_id = :a").param("a", agentId).update();
            if (rows == 1) {
                audit.append("top_up.removed", operator, agentId, agentId, Map.of());
            }
            return rows == 1;
        }));
    }

    public Optional<TopUp> find(String agentId) {
        return jdbc.sql("SELECT threshold_micros, amount_micros, daily_max_micros FROM agent_top_ups WHERE agent_id = :a")
                .param("a", agentId)
                .query((rs, n) -> new TopUp(Money.ofMicros(rs.getLong(1)), Money.ofMicros(rs.getLong(2)), Money.ofMicros(rs.getLong(3))))
                .optional();
    }

    @Async
    @TransactionalEventListener
    void onAvailableBalanceChanged(AvailableBalanceChanged event) {
        try {
            evaluate(event.agentId());
        } catch (RuntimeException e) {
            log.warn("Top-up of agent {} not evaluated now ({}); the sweep retries", event.agentId(), e.getMessage());
        }
    }

    @Scheduled(fixedDelayString = "${purser.treasury.top-up-sweep-ms:5000}", initialDelayString = "PT5S")
    void sweep() {
        try {
            List<String> configured = jdbc.sql("SELECT agent_id FROM agent_top_ups ORDER BY agent_id LIMIT :n")
                    .param("n", AGENTS_PER_SWEEP_MAX).query(String.class).list();
            configured.forEach(this::evaluate);
        } catch (RuntimeException e) {
            log.warn("Top-up sweep failed: {}", e.getMessage());
        }
    }

    /** Sends one top-up if the agent needs one and today's maximum and the treasury allow it. */
    void evaluate(String agentId) {
        tx.executeWithoutResult(s -> {
            Optional<TopUp> rule = jdbc.sql("""
                    SELECT threshold_micros, amount_micros, daily_max_micros FROM agent_top_ups WHERE agent_id = :a FOR UPDATE
                    """)
                    .param("a", agentId)
                    .query((rs, n) -> new TopUp(Money.ofMicros(rs.getLong(1)), Money.ofMicros(rs.getLong(2)),
                            Money.ofMicros(rs.getLong(3))))
                    .optional();
            if (rule.isEmpty()) {
                return;
            }
            Balance balance = funds.balance(agentId);
            Money inFlight = Money.ofMicros(jdbc.sql("""
                    SELECT coalesce(sum(amount_micros), 0) FROM settlements
                    WHERE agent_id = :a AND kind = 'funding' AND status IN ('queued', 'submitted')
                    """).param("a", agentId).query(Long.class).single());
            if (!rule.get().threshold().greaterThan(balance.available().plus(inFlight))) {
                return;
            }
            Instant now = clock.instant();
            Optional<Money> treasury = balances.balanceOf(custody.treasury().address()).map(Money::fromBigInteger);
            Money treasuryInFlight = Money.ofMicros(jdbc.sql("""
                    SELECT coalesce(sum(amount_micros), 0) FROM settlements WHERE kind = 'funding' AND status IN ('queued', 'submitted')
                    """).query(Long.class).single());
            if (treasury.isEmpty() || rule.get().amount().greaterThan(treasury.get().minusOrZero(treasuryInFlight))) {
                String problem = "the treasury cannot cover a top-up of " + rule.get().amount() + " USDC";
                if (!problem.equals(treasuryProblem.getAndSet(problem))) {
                    audit.append("treasury.insufficient", null, agentId, custody.treasury().address(),
                            Map.of("needed", rule.get().amount().toString(),
                                    "treasury_balance", treasury.map(Money::toString).orElse("unknown")));
                }
                return;
            }
            treasuryProblem.set(null);
            LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
            jdbc.sql("INSERT INTO top_up_days (agent_id, day) VALUES (:a, :d) ON CONFLICT DO NOTHING")
                    .param("a", agentId).param("d", Date.valueOf(day)).update();
            int allowed = jdbc.sql("""
                    UPDATE top_up_days SET sent_micros = sent_micros + :m
                    WHERE agent_id = :a AND day = :d AND sent_micros + :m <= :max
                    """)
                    .param("m", rule.get().amount().micros()).param("a", agentId).param("d", Date.valueOf(day))
                    .param("max", rule.get().dailyMax().micros())
                    .update();
            if (allowed == 0) {
                return; // today's maximum is reached; tomorrow (UTC) it starts again
            }
            String wallet = agents.find(agentId).orElseThrow().walletAddress();
            String id = queue.enqueueTransfer("funding", agentId, custody.treasury().address(), wallet, rule.get().amount(), now);
            audit.append("top_up.sent", null, agentId, id, Map.of("amount", rule.get().amount().toString(),
                    "available", balance.available().toString(), "threshold", rule.get().threshold().toString()));
        });
    }

    @Override
    public Health health() {
        String problem = treasuryProblem.get();
        return problem == null ? Health.up().build() : Health.status(WARNING).withDetail("warning", problem).build();
    }
}

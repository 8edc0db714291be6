package dev.purser.settlement.settlements;

import dev.purser.settlement.audit.AuditLog;
import dev.purser.settlement.config.PurserProperties;
import dev.purser.settlement.custody.Custody;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.utils.Convert;

/**
 * Watches the relayer's ETH (it pays every settlement's gas). Below the configured threshold the
 * {@code relayer} health component reports WARNING and one {@code relayer.low_balance} audit event
 * is written per episode; recovering writes {@code relayer.balance_restored}.
 */
@Component("relayer")
class RelayerWatch implements HealthIndicator {

    static final Status WARNING = new Status("WARNING");
    private static final Duration CHECK_EVERY = Duration.ofSeconds(10);

    private final Web3j web3j;
    private final Custody custody;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final AuditLog audit;
    private final Clock clock;
    private final BigInteger thresholdWei;
    private final AtomicReference<BigInteger> lastBalance = new AtomicReference<>();
    private volatile Instant lastCheck = Instant.EPOCH;

    RelayerWatch(Web3j web3j, Custody custody, JdbcClient jdbc, TransactionTemplate tx, AuditLog audit, Clock clock,
            PurserProperties properties) {
        this.web3j = web3j;
        this.custody = custody;
        this.jdbc = jdbc;
        this.tx = tx;
        this.audit = audit;
        this.clock = clock;
        this.thresholdWei = Convert.toWei(new BigDecimal(properties.settlement().relayerLowBalanceEth()), Convert.Unit.ETHER)
                .toBigInteger();
    }

    /** Reads the relayer's balance at most every few seconds; called by the leading settler. */
    void check() throws java.io.IOException {
        Instant now = clock.instant();
        if (Duration.between(lastCheck, now).compareTo(CHECK_EVERY) < 0) {
            return;
        }
        lastCheck = now;
        String relayer = custody.relayer().address();
        BigInteger balance = web3j.ethGetBalance(relayer, DefaultBlockParameterName.LATEST).send().getBalance();
        lastBalance.set(balance);
        boolean low = balance.compareTo(thresholdWei) < 0;
        tx.executeWithoutResult(s -> {
            Boolean wasLow = jdbc.sql("SELECT low_balance FROM relayer_alerts WHERE relayer = :r FOR UPDATE")
                    .param("r", relayer).query(Boolean.class).optional().orElse(false);
            if (wasLow == low) {
                return;
            }
            jdbc.sql("""
                    INSERT INTO relayer_alerts (relayer, low_balance, changed_at) VALUES (:r, :low, :now)
                    ON CONFLICT (relayer) DO UPDATE SET low_balance = :low, changed_at = :now
                    """)
                    .param("r", relayer)
                    .param("low", low)
                    .param("now", Timestamp.from(now))
                    .update();
            audit.append(low ? "relayer.low_balance" : "relayer.balance_restored", null, null, relayer,
                    Map.of("balance_wei", balance.toString(), "threshold_wei", thresholdWei.toString()));
        });
    }

    @Override
    public Health health() {
        BigInteger balance = lastBalance.get();
        Health.Builder b = balance == null ? Health.unknown() : balance.compareTo(thresholdWei) < 0 ? Health.status(WARNING) : Health.up();
        b.withDetail("address", custody.relayer().address());
        if (balance != null) {
            b.withDetail("eth_balance", Convert.fromWei(new BigDecimal(balance), Convert.Unit.ETHER).toPlainString())
                    .withDetail("low_balance_threshold", Convert.fromWei(new BigDecimal(thresholdWei), Convert.Unit.ETHER).toPlainString());
        }
        return b.build();
    }
}

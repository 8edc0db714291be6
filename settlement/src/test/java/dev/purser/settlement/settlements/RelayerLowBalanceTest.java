package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A relayer short of ETH shows as a warning in health and writes one audit event. */
class RelayerLowBalanceTest extends PurserTestBase {

    @DynamicPropertySource
    static void thresholdAboveWhatTheRelayerHolds(DynamicPropertyRegistry registry) {
        // The local bootstrap gives the relayer 100 ETH; a 5,000 ETH threshold makes that "low".
        registry.add("purser.settlement.relayer-low-balance-eth", () -> "5000");
    }

    @Test
    void healthWarnsAndTheAuditLogRecordsItOnceWhileTheServiceStaysUp() {
        tokenAddress();
        await().atMost(Duration.ofSeconds(30)).until(() ->
                "WARNING".equals(api().get("/actuator/health", null).string("$.components.relayer.status")));
        Api.Response health = api().get("/actuator/health", null);
        assertThat(health.string("$.status")).isEqualTo("UP");
        assertThat(health.string("$.components.relayer.details.low_balance_threshold")).isEqualTo("5000");
        await().atMost(Duration.ofSeconds(30)).until(() ->
                jdbc.sql("SELECT count(*) FROM audit_events WHERE type = 'relayer.low_balance'").query(Long.class).single() == 1);
    }
}

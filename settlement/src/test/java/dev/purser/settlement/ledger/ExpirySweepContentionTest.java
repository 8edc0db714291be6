package dev.purser.settlement.ledger;

import static dev.purser.settlement.ledger.Concurrently.outcomes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The expiry sweeper releasing many holds of several credentials while new holds are being
 * made for the same credentials: neither side may fail. The agents' on-chain balances count as
 * freshly read throughout, so that only the sweep and the holds themselves take locks.
 */
class ExpirySweepContentionTest extends PurserTestBase {

    private static final int AGENTS = 4;
    private static final int HOLDS_PER_AGENT = 30;

    private final ListAppender<ILoggingEvent> sweeperLog = new ListAppender<>();

    @BeforeEach
    void captureSweeperLog() {
        sweeperLog.start();
        ((Logger) LoggerFactory.getLogger(ExpirySweeper.class)).addAppender(sweeperLog);
    }

    @AfterEach
    void releaseSweeperLog() {
        ((Logger) LoggerFactory.getLogger(ExpirySweeper.class)).detachAppender(sweeperLog);
    }

    @Test
    void sweepingExpiredHoldsWhileNewHoldsArriveFailsNeitherSide() {
        List<String> secrets = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) {
            Funded agent = fundedAgent("\"per_transaction_limit\":\"1\",\"daily_limit\":\"1000\"", 1_000_000_000L);
            assertThat(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.onchain")).isEqualTo("1000");
            secrets.add(agent.secret());
        }
        // Holds that expire in 60 s, interleaved across the credentials so one sweep visits them in turn.
        for (int n = 0; n < HOLDS_PER_AGENT; n++) {
            for (String secret : secrets) {
                Api.Response r = api().post("/v1/authorizations", secret,
                        "{\"amount\":\"0.1\",\"merchant\":\"" + MERCHANT + "\",\"expires_in\":60}");
                assertThat(r.status()).as(r.toString()).isEqualTo(201);
            }
        }

        // New holds on the same credentials; a few requests in, the first holds fall due.
        AtomicBoolean advanced = new AtomicBoolean();
        List<Api.Response> responses = Concurrently.run(200, 16, i -> {
            if (i == 16 && advanced.compareAndSet(false, true)) {
                clock.advance(Duration.ofSeconds(61));
            }
            return api().post("/v1/authorizations", secrets.get(i % AGENTS),
                    "{\"amount\":\"0.1\",\"merchant\":\"" + MERCHANT + "\",\"expires_in\":900}");
        });

        Map<String, Long> outcomes = outcomes(responses);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(jdbc.sql("""
                SELECT count(*) FROM authorizations WHERE status = 'authorized' AND expires_at <= now() + interval '61 seconds'
                  AND amount_micros = 100000
                """).query(Long.class).single()).isZero());
        List<String> sweepFailures = sweeperLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(outcomes).as("new holds while the sweeper runs; sweeper log %s", sweepFailures)
                .containsExactlyEntriesOf(Map.of("201 authorized", 200L));
        assertThat(sweepFailures).as("the sweeper's own failures").isEmpty();
    }
}

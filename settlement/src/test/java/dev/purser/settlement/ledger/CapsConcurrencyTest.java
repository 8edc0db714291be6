package dev.purser.settlement.ledger;

import static dev.purser.settlement.ledger.Concurrently.expect;
import static dev.purser.settlement.ledger.Concurrently.outcomes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Invariant 1 (no overspend) under real concurrency over HTTP: hundreds of pre-authorizations
 * race for a budget that admits exactly 50 of them, bound in turn by the credential's daily limit,
 * by the agent's on-chain funds, and by funds shared among several credentials of one agent.
 */
class CapsConcurrencyTest extends PurserTestBase {

    private static final int REQUESTS = 500;
    /**
     * Fewer clients than the service's connection pool (20): every request holds a connection for
     * its whole duration, so beyond the pool requests queue for one and, on a slow machine, fail
     * after 5 s (DatabaseBusyEnvelopeTest). This test is about the caps; 16 clients already keep
     * the credential's lock permanently contended.
     */
    private static final int THREADS = 16;
    private static final long ONE_USDC = 1_000_000;

    private String oneUsdc() {
        return "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}";
    }

    private String credentialIdOf(String secret) {
        Api.Response me = api().get("/v1/me", secret);
        assertThat(me.status()).as(me.toString()).isEqualTo(200);
        return me.string("$.data.credential.id");
    }

    @Test
    void fiveHundredRacingHoldsStopExactlyAtTheDailyLimit() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"1\",\"daily_limit\":\"50\"", 1000 * ONE_USDC);
        String credentialId = credentialIdOf(agent.secret());

        List<Api.Response> responses = Concurrently.run(REQUESTS, THREADS,
                i -> api().post("/v1/authorizations", agent.secret(), oneUsdc()));

        assertThat(outcomes(responses)).containsExactlyInAnyOrderEntriesOf(
                expect("201 authorized", 50, "402 daily_limit_exceeded", 450));
        assertThat(responses.stream().filter(r -> r.status() == 402).map(r -> r.string("$.error.details.remaining")))
                .containsOnly("0");
        assertThat(jdbc.sql("SELECT coalesce(sum(held_micros), 0) FROM daily_spend WHERE credential_id = :id")
                .param("id", credentialId).query(Long.class).single()).isEqualTo(50 * ONE_USDC);
        assertThat(jdbc.sql("SELECT count(*) FROM authorizations WHERE credential_id = :id")
                .param("id", credentialId).query(Long.class).single()).isEqualTo(50);
        assertThat(jdbc.sql("SELECT held_micros FROM agent_funds WHERE agent_id = :id")
                .param("id", agent.agentId()).query(Long.class).single()).isEqualTo(50 * ONE_USDC);
    }

    @Test
    void fiveHundredRacingHoldsStopExactlyAtTheAgentsOnchainFunds() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"1\",\"daily_limit\":\"1000\"", 50 * ONE_USDC);
        String credentialId = credentialIdOf(agent.secret());

        List<Api.Response> responses = Concurrently.run(REQUESTS, THREADS,
                i -> api().post("/v1/authorizations", agent.secret(), oneUsdc()));

        assertThat(outcomes(responses)).containsExactlyInAnyOrderEntriesOf(
                expect("201 authorized", 50, "402 insufficient_funds", 450));
        assertThat(responses.stream().filter(r -> r.status() == 402).map(r -> r.string("$.error.details.available")))
                .containsOnly("0");
        assertFundsHeld(agent.agentId(), 50 * ONE_USDC, 50 * ONE_USDC);
        // A hold declined for funds gives back the daily budget it took in the same transaction.
        assertThat(jdbc.sql("SELECT held_micros FROM daily_spend WHERE credential_id = :id")
                .param("id", credentialId).query(Long.class).single()).isEqualTo(50 * ONE_USDC);
        assertThat(jdbc.sql("SELECT count(*) FROM authorizations WHERE credential_id = :id")
                .param("id", credentialId).query(Long.class).single()).isEqualTo(50);
    }

    @Test
    void severalCredentialsOfOneAgentRacingForItsFundsHoldExactlyWhatTheWalletHas() {
        Agent agent = createAgent("shared-funds-" + System.nanoTime());
        mintToAgent(agent.id(), agent.wallet(), 50 * ONE_USDC);
        int credentialCount = 5;
        List<String> secrets = new ArrayList<>();
        for (int c = 0; c < credentialCount; c++) {
            secrets.add(issueCredential(agent.id(), "\"per_transaction_limit\":\"1\",\"daily_limit\":\"1000\""));
        }

        List<Api.Response> responses = Concurrently.run(REQUESTS, THREADS,
                i -> api().post("/v1/authorizations", secrets.get(i % credentialCount), oneUsdc()));

        assertThat(outcomes(responses)).containsExactlyInAnyOrderEntriesOf(
                expect("201 authorized", 50, "402 insufficient_funds", 450));
        assertFundsHeld(agent.id(), 50 * ONE_USDC, 50 * ONE_USDC);
        assertThat(jdbc.sql("SELECT count(*) FROM authorizations WHERE agent_id = :id")
                .param("id", agent.id()).query(Long.class).single()).isEqualTo(50);
        // Every credential's daily books agree with the holds it actually got.
        List<Map<String, Object>> mismatches = jdbc.sql("""
                SELECT d.credential_id, d.held_micros, coalesce(sum(a.amount_micros), 0) AS holds
                FROM daily_spend d JOIN credentials c ON c.id = d.credential_id
                LEFT JOIN authorizations a ON a.credential_id = d.credential_id AND a.day = d.day
                WHERE c.agent_id = :id
                GROUP BY d.credential_id, d.day, d.held_micros
                HAVING d.held_micros <> coalesce(sum(a.amount_micros), 0)
                """).param("id", agent.id()).query().listOfRows();
        assertThat(mismatches).isEmpty();
    }

    private void assertFundsHeld(String agentId, long expectedHeldMicros, long expectedOnchainMicros) {
        Map<String, Object> funds = jdbc.sql("SELECT onchain_micros, held_micros, pending_settlement_micros FROM agent_funds"
                + " WHERE agent_id = :id").param("id", agentId).query().singleRow();
        long onchain = ((Number) funds.get("onchain_micros")).longValue();
        long held = ((Number) funds.get("held_micros")).longValue();
        long pending = ((Number) funds.get("pending_settlement_micros")).longValue();
        assertThat(held).as("held of %s", funds).isEqualTo(expectedHeldMicros);
        assertThat(onchain).as("onchain of %s", funds).isEqualTo(expectedOnchainMicros);
        assertThat(held + pending).as("held + pending_settlement <= onchain: %s", funds).isLessThanOrEqualTo(onchain);
    }
}

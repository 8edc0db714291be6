package dev.purser.settlement.treasury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.TestUSDC;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;

/** Auto top-up keeps an agent funded, and never sends more than daily_max in a UTC day. */
class TopUpTest extends PurserTestBase {

    @DynamicPropertySource
    static void fastSweep(DynamicPropertyRegistry registry) {
        registry.add("purser.treasury.top-up-sweep-ms", () -> "300");
    }

    private long balance(String address) throws Exception {
        return TestUSDC.load(tokenAddress(), chain().web3j(),
                        new ReadonlyTransactionManager(chain().web3j(), chain().account(0).getAddress()), new DefaultGasProvider())
                .balanceOf(address).send().longValueExact();
    }

    private long fundingsSent(String agentId) {
        return jdbc.sql("SELECT coalesce(sum(amount_micros), 0) FROM settlements WHERE agent_id = :a AND kind = 'funding'")
                .param("a", agentId).query(Long.class).single();
    }

    @Test
    void anAgentBelowItsThresholdIsToppedUpButNeverPastTheDailyMaximum() throws Exception {
        tokenAddress();
        Agent agent = createAgent("topped-up");
        String secret = issueCredential(agent.id(), "\"per_transaction_limit\":\"100\",\"daily_limit\":\"1000\"");
        Api.Response put = api().send("PUT", "/v1/agents/" + agent.id() + "/top-up", ADMIN,
                "{\"threshold\":\"5\",\"amount\":\"10\",\"daily_max\":\"25\"}", null);
        assertThat(put.status()).as(put.toString()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(60)).until(() -> balance(agent.wallet()) == 10_000_000);
        assertThat(fundingsSent(agent.id())).isEqualTo(10_000_000);

        // Spend it down twice: each settle lowers the available balance and triggers an
        // evaluation, racing the sweep; the second top-up fits in today's 25, a third would not.
        for (int round = 0; round < 2; round++) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> "10".equals(api().get("/v1/me", secret).string("$.data.agent.balance.available")));
            Api.Response spent = spendAll(secret, "10");
            assertThat(spent.status()).as(spent.toString()).isEqualTo(200);
        }
        Thread.sleep(3000); // several sweeps and triggers with the agent below its threshold
        assertThat(fundingsSent(agent.id())).as("never past daily_max").isEqualTo(20_000_000);
        assertThat(jdbc.sql("SELECT sent_micros FROM top_up_days WHERE agent_id = :a").param("a", agent.id())
                .query(Long.class).single()).isEqualTo(20_000_000);

        Api.Response removed = api().delete("/v1/agents/" + agent.id() + "/top-up", ADMIN);
        assertThat(removed.status()).isEqualTo(200);
        assertThat(api().delete("/v1/agents/" + agent.id() + "/top-up", ADMIN).status()).isEqualTo(404);
    }

    private Api.Response spendAll(String secret, String available) {
        Api.Response hold = api().post("/v1/authorizations", secret, "{\"amount\":\"" + available + "\",\"merchant\":\"" + MERCHANT + "\"}");
        if (hold.status() != 201) {
            return hold;
        }
        return api().post("/v1/authorizations/" + hold.string("$.data.id") + "/settle", secret, "{}");
    }

    @Test
    void aTreasuryTooPoorForTheTopUpSendsNothingAuditsItAndWarnsInHealth() {
        tokenAddress();
        Agent agent = createAgent("unfundable");
        // The local treasury holds 10,000,000 USDC: a 20,000,000 top-up cannot be paid.
        Api.Response put = api().send("PUT", "/v1/agents/" + agent.id() + "/top-up", ADMIN,
                "{\"threshold\":\"5\",\"amount\":\"20000000\",\"daily_max\":\"20000000\"}", null);
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql(
                "SELECT count(*) FROM audit_events WHERE type = 'treasury.insufficient' AND agent_id = :a")
                .param("a", agent.id()).query(Long.class).single() >= 1);
        assertThat(api().get("/actuator/health", null).string("$.components.treasury.status")).isEqualTo("WARNING");
        assertThat(fundingsSent(agent.id())).isZero();
        assertThat(api().delete("/v1/agents/" + agent.id() + "/top-up", ADMIN).status()).isEqualTo(200);
    }

    @Test
    void aDailyMaximumBelowTheAmountIsRefused() {
        Agent agent = createAgent("bad-rule");
        Api.Response r = api().send("PUT", "/v1/agents/" + agent.id() + "/top-up", ADMIN,
                "{\"threshold\":\"5\",\"amount\":\"10\",\"daily_max\":\"9\"}", null);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.string("$.error.details.field")).isEqualTo("daily_max");
    }
}

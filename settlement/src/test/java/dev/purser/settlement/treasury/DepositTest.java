package dev.purser.settlement.treasury;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** USDC that anyone sends to an agent wallet becomes available once, when it is confirmed. */
class DepositTest extends PurserTestBase {

    @DynamicPropertySource
    static void threeConfirmations(DynamicPropertyRegistry registry) {
        registry.add("purser.chain.confirmations", () -> "3");
    }

    @Test
    void aDepositIsCreditedOnlyOnceItIsConfirmedAndOnlyOnce() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"100\"", 0);
        mintOnChain(agent.wallet(), 7_000_000);
        // Minted in the newest block: one block deep, not three.
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.onchain")).isEqualTo("0");
        assertThat(api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}")
                .string("$.error.code")).isEqualTo("insufficient_funds");

        chain().mine();
        chain().mine();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> "7".equals(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.onchain")));
        chain().mine();
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.available")).isEqualTo("7");
        assertThat(api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"7\",\"merchant\":\"" + MERCHANT + "\"}")
                .status()).isEqualTo(201);
    }
}

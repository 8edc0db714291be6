package dev.purser.settlement.indexer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import dev.purser.settlement.support.RefusingRpcProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * On a node that has no {@code finalized} block tag, a settlement is final only at the configured
 * depth ({@code purser.settlement.finality-depth}), never earlier, and its indexed events with it;
 * it is confirmed at {@code purser.chain.confirmations} (one block here) long before. The chain
 * mines a block only when the test sends a transaction or mines one, so the depth is the test's.
 */
class FinalityDepthTest extends PurserTestBase {

    private static final RefusingRpcProxy PROXY = privateChainBehindProxy();
    private static final int FINALITY_DEPTH = 4;

    static {
        PROXY.refuseFinalizedTag();
    }

    @DynamicPropertySource
    static void noFinalizedTag(DynamicPropertyRegistry registry) {
        registry.add("purser.chain.rpc-url", PROXY::url);
        registry.add("purser.settlement.finality-depth", () -> String.valueOf(FINALITY_DEPTH));
    }

    @AfterAll
    static void stopPrivateChain() {
        closePrivateChain(PROXY);
    }

    @Test
    void aSettlementIsFinalAtTheConfiguredDepthAndNotABlockSooner() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 20_000_000);
        String id = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"3\",\"merchant\":\"" + MERCHANT + "\"}")
                .string("$.data.id");
        String settlementId = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{}")
                .string("$.data.settlement.id");
        Api.Response landed = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> api().get("/v1/settlements/" + settlementId, ADMIN), r -> r.json("$.data.block_number") != null);
        long block = landed.<Number>json("$.data.block_number").longValue();

        // Walk the head up one block at a time: below block + depth the settlement and its events
        // must not be final, whatever the indexer did in the meantime.
        while (head() < block + FINALITY_DEPTH) {
            chain().mine();
            sleepTicks();
            long head = head();
            String status = api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status");
            if (head < block + FINALITY_DEPTH) {
                assertThat(status).as("head %d, landed in %d, finality depth %d", head, block, FINALITY_DEPTH)
                        .isNotEqualTo("finalized");
                assertThat(eventStatuses(settlementId)).doesNotContain("finalized");
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> List.of("confirmed", "finalized")
                    .contains(api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status")));
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> "finalized"
                .equals(api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status")));
        Api.Response finalized = api().get("/v1/settlements/" + settlementId, ADMIN);
        assertThat(finalized.string("$.data.finalized_at")).isNotNull();
        assertThat(finalized.string("$.data.confirmed_at")).isNotNull();
        await().atMost(Duration.ofSeconds(10)).until(() -> eventStatuses(settlementId).stream().allMatch("finalized"::equals));
    }

    private List<String> eventStatuses(String settlementId) {
        return jdbc.sql("SELECT status FROM chain_events WHERE settlement_id = :s").param("s", settlementId)
                .query(String.class).list();
    }

    private long head() {
        try {
            return chain().web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Several indexer ticks (200 ms each in tests). */
    private static void sleepTicks() {
        try {
            Thread.sleep(800);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

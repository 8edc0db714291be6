package dev.purser.settlement.indexer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import dev.purser.settlement.support.RefusingRpcProxy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The indexer against a node that refuses wide eth_getLogs ranges, as hosted nodes do: it shrinks
 * its range until the node answers, still indexes every event (a deposit is credited, a
 * settlement confirmed), never asks the node for more than it allows once it knows, and grows its
 * range back after the limit goes away. Its token filters name Purser's wallets.
 */
class IndexerRangeTest extends PurserTestBase {

    private static final RefusingRpcProxy PROXY = privateChainBehindProxy();
    private static final int LIMIT = 3;

    static {
        PROXY.refuseRangesAbove(LIMIT);
    }

    /** Its own property source, so that this class gets its own service (on the proxy), not a cached one. */
    @DynamicPropertySource
    static void throughTheProxy(DynamicPropertyRegistry registry) {
        registry.add("purser.chain.rpc-url", PROXY::url);
    }

    @AfterAll
    static void stopPrivateChain() {
        closePrivateChain(PROXY);
    }

    private int rangeSize() {
        return jdbc.sql("SELECT range_size FROM indexer_cursor").query(Integer.class).optional().orElse(0);
    }

    @Test
    void shrinksOnRefusalsMissesNothingAndGrowsBackWhenTheLimitGoes() {
        // Blocks to index before anything happens: the first ranges are far wider than allowed.
        for (int i = 0; i < 30; i++) {
            chain().mine();
        }
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 20_000_000);
        String id = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"4\",\"merchant\":\"" + MERCHANT + "\"}")
                .string("$.data.id");
        String settlementId = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"2.5\"}")
                .string("$.data.settlement.id");
        await().atMost(Duration.ofSeconds(60)).until(() -> List.of("confirmed", "finalized")
                .contains(api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status")));
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.agent.balance.onchain")).isEqualTo("17.5");
        assertThat(me.string("$.data.agent.balance.available")).isEqualTo("17.5");

        List<RefusingRpcProxy.GetLogs> calls = PROXY.getLogsCalls();
        assertThat(calls).as("the node refused wide ranges").anyMatch(RefusingRpcProxy.GetLogs::refused);
        assertThat(calls.stream().filter(c -> !c.refused()).mapToLong(RefusingRpcProxy.GetLogs::blocks).max().orElseThrow())
                .as("every answered range is within the node's limit").isLessThanOrEqualTo(LIMIT);
        assertThat(rangeSize()).as("the cursor keeps a range near the limit").isLessThanOrEqualTo(2 * LIMIT);

        // The token is asked only for logs naming Purser's wallets, never for all of its logs.
        String token = tokenAddress();
        List<JsonNode> tokenFilters = calls.stream().map(RefusingRpcProxy.GetLogs::filter)
                .filter(f -> f.path("address").toString().toLowerCase().contains(token.substring(2).toLowerCase()))
                .toList();
        assertThat(tokenFilters).isNotEmpty()
                .allSatisfy(f -> assertThat(f.path("topics").size()).isGreaterThanOrEqualTo(2))
                .anySatisfy(f -> assertThat(f.path("topics").toString().toLowerCase())
                        .contains(agent.wallet().substring(2).toLowerCase()));

        PROXY.refuseNothing();
        for (int i = 0; i < 150; i++) {
            chain().mine();
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> rangeSize() >= 16 * LIMIT);
    }
}

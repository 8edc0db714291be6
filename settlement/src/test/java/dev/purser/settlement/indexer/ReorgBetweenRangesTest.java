package dev.purser.settlement.indexer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.support.PurserTestBase;
import dev.purser.settlement.support.RefusingRpcProxy;
import dev.purser.settlement.support.TokenLogs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A reorg that lands between two eth_getLogs ranges of one indexer pass: the block the first
 * range ended with is replaced just before the second range is read. The indexer must not carry
 * on along the new branch as if nothing happened (its newest kept header would then be on the
 * new branch and hide the orphaned block for good); it must see that the second range does not
 * continue what it indexed, walk back, take the orphaned deposit out of the balance and index the
 * new branch's deposit instead. The node answers one block per eth_getLogs, so that every block
 * ends a range and the reorg can be placed exactly.
 */
class ReorgBetweenRangesTest extends PurserTestBase {

    private static final RefusingRpcProxy PROXY = privateChainBehindProxy();

    static {
        PROXY.refuseRangesAbove(1);
    }

    @DynamicPropertySource
    static void throughTheProxy(DynamicPropertyRegistry registry) {
        registry.add("purser.chain.rpc-url", PROXY::url);
    }

    @AfterAll
    static void stopPrivateChain() {
        closePrivateChain(PROXY);
    }

    @Test
    void aBlockReplacedBetweenTwoRangesIsWalkedBackAndTheNewBranchIndexed() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 5_000_000);
        long indexedHead = head();
        await().atMost(Duration.ofSeconds(30)).until(() -> nextBlock() > indexedHead);
        String snapshot = chain().snapshot();
        long orphaned = indexedHead + 1;
        AtomicBoolean reorged = new AtomicBoolean();
        PROXY.beforeGetLogsFrom(orphaned + 1, () -> {
            // The indexer has stored block `orphaned` and now asks for the next one: replace it.
            chain().revert(snapshot);
            mintOnChain(agent.wallet(), 7_000_000);
            while (head() < orphaned + 3) {
                chain().mine();
            }
            reorged.set(true);
        });
        mintOnChain(agent.wallet(), 3_000_000); // block `orphaned`, on the branch about to be dropped
        chain().mine();
        chain().mine();
        await().atMost(Duration.ofSeconds(30)).untilTrue(reorged);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> "12".equals(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.onchain")));
        long canonicalHead = head();
        await().atMost(Duration.ofSeconds(30)).until(() -> nextBlock() > canonicalHead);
        assertThat(indexedBalance(agent.agentId())).isEqualByComparingTo("12000000");
        assertThat(jdbc.sql("""
                SELECT args->>'value' || CASE WHEN status = 'removed' THEN ' removed' ELSE ' live' END FROM chain_events
                WHERE event = 'Transfer' AND lower(args->>'to') = lower(:w)
                """).param("w", agent.wallet()).query(String.class).list())
                .as("the first deposit stays, the orphaned one is removed, the new branch's is indexed")
                .containsExactlyInAnyOrder("5000000 live", "3000000 removed", "7000000 live");
        assertThat(jdbc.sql("SELECT count(*) FROM audit_events WHERE type = 'chain.reorg'").query(Long.class).single()).isPositive();
        assertThat(jdbc.sql(TokenLogs.INDEXED_KEYS_SQL).param(agent.wallet()).param(tokenAddress()).query(String.class).list())
                .containsExactlyInAnyOrderElementsOf(TokenLogs.keys(TokenLogs.namingWallet(chain().web3j(), tokenAddress(),
                        agent.wallet())));
        List<Boolean> mismatched = jdbc.sql("SELECT balance_mismatch FROM agent_funds WHERE agent_id = :a")
                .param("a", agent.agentId()).query(Boolean.class).list();
        assertThat(mismatched).containsExactly(false);
    }

    private long nextBlock() {
        return jdbc.sql("SELECT next_block FROM indexer_cursor").query(Long.class).optional().orElse(0L);
    }

    private long head() {
        try {
            return chain().web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.purser.settlement.indexer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import dev.purser.settlement.support.TokenLogs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;
import org.web3j.utils.Numeric;

/**
 * Reorgs of depth 1 and 5 across a settlement, made on a private Ganache with evm_snapshot /
 * evm_revert: afterwards the ledger, chain_events and balances agree with the canonical chain and
 * the authorization is paid exactly once.
 */
class ReorgTest extends PurserTestBase {

    private static final GanacheNode PRIVATE_CHAIN = GanacheNode.start();

    static {
        privateChain = PRIVATE_CHAIN;
    }

    @DynamicPropertySource
    static void fastIndexer(DynamicPropertyRegistry registry) {
        registry.add("purser.indexer.tick-ms", () -> "300");
    }

    @AfterAll
    static void stopChain() {
        privateChain = null;
        PRIVATE_CHAIN.close();
    }

    private long balance(String address) throws Exception {
        return TestUSDC.load(tokenAddress(), PRIVATE_CHAIN.web3j(),
                        new ReadonlyTransactionManager(PRIVATE_CHAIN.web3j(), PRIVATE_CHAIN.account(0).getAddress()),
                        new DefaultGasProvider())
                .balanceOf(address).send().longValueExact();
    }

    private long authorizationsUsedBy(String authorizer) throws Exception {
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, tokenAddress());
        filter.addSingleTopic("0x98de503528ee59b575ef0c0a2576a82497bfc029a5685b209e9ec333479b10a5");
        filter.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(authorizer), 64));
        List<EthLog.LogResult> logs = new ArrayList<>(PRIVATE_CHAIN.web3j().ethGetLogs(filter).send().getLogs());
        return logs.size();
    }

    private String state(String settlementId) {
        return jdbc.sql("SELECT status, tx_hash, block_number, log_index, batch_id, failure_reason FROM settlements WHERE id = :id")
                .param("id", settlementId).query().listOfRows()
                + " events=" + jdbc.sql("SELECT event, status, applied_status, block_number, log_index, tx_hash FROM chain_events WHERE settlement_id = :id")
                .param("id", settlementId).query().listOfRows()
                + " batches=" + jdbc.sql("SELECT id, status, outcome, tx_hash FROM settlement_batches ORDER BY created_at").query().listOfRows()
                + " relayer=" + jdbc.sql("SELECT nonce, status, reference, inclusion_tx_hash FROM relayer_transaction ORDER BY nonce").query().listOfRows();
    }

    private long head() throws Exception {
        return PRIVATE_CHAIN.web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
    }

    @ParameterizedTest(name = "reorg of depth {0}")
    @ValueSource(ints = {1, 5})
    void aReorgAcrossASettlementEndsWithItPaidExactlyOnceOnTheCanonicalChain(int depth) throws Exception {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 20_000_000);
        String merchant = Keys.toChecksumAddress(Keys.getAddress(Keys.createEcKeyPair()));
        Api.Response authorized = api().post("/v1/authorizations", agent.secret(),
                "{\"amount\":\"4\",\"merchant\":\"" + merchant + "\"}");
        assertThat(authorized.status()).as(authorized.toString()).isEqualTo(201);
        String id = authorized.string("$.data.id");
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql("SELECT count(*) FROM chain_events WHERE args->>'to' = :w")
                .param("w", agent.wallet()).query(Long.class).single() == 1);
        String snapshot = PRIVATE_CHAIN.snapshot();
        long forkPoint = head();

        String settlementId = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{}").string("$.data.settlement.id");
        await().atMost(Duration.ofSeconds(60)).until(() ->
                jdbc.sql("SELECT count(*) FROM chain_events WHERE settlement_id = :s").param("s", settlementId).query(Long.class).single() == 2);
        Api.Response before = api().get("/v1/settlements/" + settlementId, ADMIN);
        String orphanedTx = before.string("$.data.tx_hash");
        while (head() < forkPoint + depth) {
            PRIVATE_CHAIN.mine();
        }
        long orphanedHead = head();
        assertThat(balance(merchant)).isEqualTo(4_000_000);

        PRIVATE_CHAIN.revert(snapshot);
        while (head() <= orphanedHead) {
            PRIVATE_CHAIN.mine(); // the canonical chain outgrows the orphaned branch
        }

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                // On a timeout, the last lines of the output show where the settlement got stuck.
                .conditionEvaluationListener(c -> {
                    if (c.getRemainingTimeInMS() < 1000) {
                        System.out.println("STATE " + state(settlementId));
                    }
                })
                .until(() -> {
            Api.Response s = api().get("/v1/settlements/" + settlementId, ADMIN);
            String status = s.string("$.data.status");
            String tx = s.string("$.data.tx_hash");
            return tx != null && (status.equals("confirmed") || status.equals("finalized"))
                    && PRIVATE_CHAIN.web3j().ethGetTransactionReceipt(tx).send().getTransactionReceipt().isPresent()
                    && balance(merchant) == 4_000_000;
        });
        assertThat(balance(merchant)).isEqualTo(4_000_000);
        assertThat(balance(agent.wallet())).isEqualTo(16_000_000);
        assertThat(authorizationsUsedBy(agent.wallet())).isEqualTo(1);
        assertThat(jdbc.sql("SELECT count(*) FROM audit_events WHERE type = 'chain.reorg'").query(Long.class).single()).isPositive();
        boolean minedAgain = PRIVATE_CHAIN.web3j().ethGetTransactionReceipt(orphanedTx).send().getTransactionReceipt().isPresent();
        long orphanedLive = jdbc.sql("SELECT count(*) FROM chain_events WHERE tx_hash = :tx AND status <> 'removed'")
                .param("tx", orphanedTx).query(Long.class).single();
        assertThat(orphanedLive > 0).as("the orphaned transaction's events are live only if it was mined again")
                .isEqualTo(minedAgain);
        // chain_events agrees with the canonical chain: the agent wallet's token logs, live, no more and no fewer.
        long canonicalHead = head();
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql("SELECT next_block FROM indexer_cursor")
                .query(Long.class).single() > canonicalHead);
        assertThat(jdbc.sql(TokenLogs.INDEXED_KEYS_SQL).param(agent.wallet()).param(tokenAddress()).query(String.class).list())
                .containsExactlyInAnyOrderElementsOf(TokenLogs.keys(TokenLogs.namingWallet(PRIVATE_CHAIN.web3j(), tokenAddress(),
                        agent.wallet())));
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.sql("""
                SELECT count(*) FROM chain_events WHERE event = 'Transfer' AND args->>'to' = :m AND status <> 'removed'
                """).param("m", merchant).query(Long.class).single() == 1);
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.agent.balance.onchain")).isEqualTo("16");
        assertThat(me.string("$.data.agent.balance.pending_settlement")).isEqualTo("0");
    }

    /**
     * A deposit that a reorg takes back leaves the balance again: the index had counted it once it
     * was confirmed, the reorg takes exactly it back out, and the cap stops offering it.
     */
    @Test
    void aDepositOrphanedByAReorgLeavesTheBalance() throws Exception {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"50\",\"daily_limit\":\"100\"", 5_000_000);
        String snapshot = PRIVATE_CHAIN.snapshot();
        mintToAgent(agent.agentId(), agent.wallet(), 30_000_000);
        assertThat(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.available")).isEqualTo("35");
        long orphanedHead = head();

        PRIVATE_CHAIN.revert(snapshot);
        while (head() <= orphanedHead) {
            PRIVATE_CHAIN.mine();
        }
        await().atMost(Duration.ofSeconds(30)).until(() ->
                "5".equals(api().get("/v1/me", agent.secret()).string("$.data.agent.balance.onchain")));
        assertThat(indexedBalance(agent.agentId())).isEqualByComparingTo("5000000");
        assertThat(balance(agent.wallet())).isEqualTo(5_000_000);
        Api.Response declined = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"20\",\"merchant\":\"" + MERCHANT + "\"}");
        assertThat(declined.string("$.error.code")).as(declined.toString()).isEqualTo("insufficient_funds");
        assertThat(jdbc.sql("""
                SELECT count(*) FROM chain_events WHERE event = 'Transfer' AND args->>'to' = :w AND status <> 'removed'
                """).param("w", agent.wallet()).query(Long.class).single()).isEqualTo(1);
    }
}

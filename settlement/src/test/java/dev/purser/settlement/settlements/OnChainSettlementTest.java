package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import dev.purser.settlement.support.TestChain;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;
import org.web3j.utils.Numeric;

/**
 * Settled authorizations become USDC on the merchant's address, checked on the chain itself:
 * balances, and the AuthorizationUsed event carrying exactly the settlement's nonce.
 */
class OnChainSettlementTest extends PurserTestBase {

    private TestUSDC token() {
        GanacheNode chain = TestChain.shared();
        return TestUSDC.load(tokenAddress(), chain.web3j(),
                new ReadonlyTransactionManager(chain.web3j(), chain.account(0).getAddress()), new DefaultGasProvider());
    }

    private long balance(String address) throws Exception {
        return token().balanceOf(address).send().longValueExact();
    }

    private static String freshMerchant() {
        try {
            return Keys.toChecksumAddress(Keys.getAddress(Keys.createEcKeyPair()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Api.Response awaitSettlement(String settlementId, String status) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> status.equals(api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status")));
        return api().get("/v1/settlements/" + settlementId, ADMIN);
    }

    private List<Log> authorizationUsedLogs(String authorizer) throws Exception {
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, tokenAddress());
        filter.addSingleTopic("0x98de503528ee59b575ef0c0a2576a82497bfc029a5685b209e9ec333479b10a5");
        filter.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(authorizer), 64));
        List<Log> logs = new ArrayList<>();
        for (EthLog.LogResult<?> r : TestChain.shared().web3j().ethGetLogs(filter).send().getLogs()) {
            logs.add((Log) r.get());
        }
        return logs;
    }

    @Test
    void aSettledAuthorizationIsPaidToTheMerchantOnceAndProvenByItsNonce() throws Exception {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 100_000_000);
        String merchant = freshMerchant();
        String id = api().post("/v1/authorizations", agent.secret(),
                "{\"amount\":\"2.5\",\"merchant\":\"" + merchant + "\"}").string("$.data.id");
        Api.Response settled = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"2.1\"}");
        String settlementId = settled.string("$.data.settlement.id");

        Api.Response s = awaitSettlement(settlementId, "finalized");
        assertThat(s.string("$.data.amount")).isEqualTo("2.1");
        assertThat(s.string("$.data.tx_hash")).matches("0x[0-9a-f]{64}");
        assertThat(s.<Integer>json("$.data.block_number")).isPositive();
        assertThat(s.<List<String>>json("$.data.authorization_ids")).containsExactly(id);
        assertThat(s.string("$.data.confirmed_at")).isNotNull();

        assertThat(balance(merchant)).isEqualTo(2_100_000);
        assertThat(balance(agent.wallet())).isEqualTo(100_000_000 - 2_100_000);
        List<Log> used = authorizationUsedLogs(agent.wallet());
        assertThat(used).hasSize(1);
        assertThat(used.getFirst().getTopics().get(2)).isEqualTo(s.string("$.data.nonce"));
        assertThat(used.getFirst().getTransactionHash()).isEqualTo(s.string("$.data.tx_hash"));

        Api.Response proof = api().get("/v1/settlements/" + settlementId + "/proof?authorization_id=" + id, ADMIN);
        assertThat(proof.status()).as(proof.toString()).isEqualTo(200);
        assertThat(proof.string("$.data.leaf")).isEqualTo(s.string("$.data.nonce"));
        assertThat(proof.<List<String>>json("$.data.proof")).isEmpty();

        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.agent.balance.pending_settlement")).isEqualTo("0");
        assertThat(me.string("$.data.agent.balance.onchain")).isEqualTo("97.9");
        assertThat(me.string("$.data.agent.balance.available")).isEqualTo("97.9");
        assertThat(api().get("/v1/authorizations/" + id, agent.secret()).string("$.data.settlement.status")).isEqualTo("finalized");
    }

    @Test
    void manySettlesAreBatchedAndEachIsPaidExactlyOnce() throws Exception {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"500\"", 100_000_000);
        String merchant = freshMerchant();
        List<String> settlementIds = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            String id = api().post("/v1/authorizations", agent.secret(),
                    "{\"amount\":\"1\",\"merchant\":\"" + merchant + "\"}").string("$.data.id");
            settlementIds.add(api().post("/v1/authorizations/" + id + "/settle", agent.secret(),
                    "{\"amount\":\"0." + String.format("%02d", i) + "\"}").string("$.data.settlement.id"));
        }
        for (String sid : settlementIds) {
            awaitSettlement(sid, "finalized");
        }
        long expected = 0;
        for (int i = 1; i <= 12; i++) {
            expected += i * 10_000L;
        }
        assertThat(balance(merchant)).isEqualTo(expected);
        assertThat(authorizationUsedLogs(agent.wallet())).hasSize(12);
        long distinctTxs = jdbc.sql("SELECT count(DISTINCT tx_hash) FROM settlements WHERE id IN (:ids)")
                .param("ids", settlementIds).query(Long.class).single();
        assertThat(distinctTxs).as("12 settlements travel in fewer transactions than 12").isLessThan(12);
        assertThat(BigInteger.valueOf(balance(agent.wallet()))).isEqualTo(BigInteger.valueOf(100_000_000 - expected));
    }
}

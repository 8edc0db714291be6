package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.TestUSDC;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.math.BigInteger;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.utils.Numeric;

/**
 * A settlement whose nonce the agent's own wallet canceled on-chain before the settler's batch
 * ends failed, naming the cancel transaction, and moves no money: the settler read the token's
 * AuthorizationCanceled, rather than taking a missing AuthorizationUsed for a cancel.
 */
class CanceledNonceSettlementTest extends PurserTestBase {

    private static final long FUNDED_MICROS = 20_000_000;
    private static final long AMOUNT_MICROS = 4_000_000;

    @Autowired
    Custody custody;

    @Test
    void aNonceTheAgentsWalletCanceledOnChainFailsTheSettlementNamingTheCancelAndMovesNothing() throws Exception {
        String token = tokenAddress();
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", FUNDED_MICROS);
        String merchant = Keys.toChecksumAddress(Keys.getAddress(Keys.createEcKeyPair()));
        String authorizationId = api().post("/v1/authorizations", agent.secret(),
                "{\"amount\":\"4\",\"merchant\":\"" + merchant + "\"}").string("$.data.id");
        // The settlement's nonce is fixed by what it pays, so the wallet can cancel it before the
        // settlement even exists, and so before the settler's batch.
        String nonce = AgentNonceCancels.nonceOf(token, agent.wallet(), merchant, authorizationId, AMOUNT_MICROS);
        long walletIndex = jdbc.sql("SELECT wallet_index FROM agents WHERE id = :id").param("id", agent.agentId())
                .query(Long.class).single();
        String cancelTx = AgentNonceCancels.cancel(chain(), token, custody.agentSigner(walletIndex), nonce);

        String settlementId = api().post("/v1/authorizations/" + authorizationId + "/settle", agent.secret(), "{}")
                .string("$.data.settlement.id");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> "failed".equals(api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status")));

        Api.Response s = api().get("/v1/settlements/" + settlementId, ADMIN);
        assertThat(s.string("$.data.nonce")).as("the settler used the nonce the wallet canceled").isEqualTo(nonce);
        assertThat(s.string("$.data.failure_reason"))
                .isEqualTo("the agent's authorization nonce was canceled on-chain in " + cancelTx);
        assertThat((Object) s.json("$.data.tx_hash")).isNull();
        assertThat(token(token).balanceOf(merchant).send()).as("the merchant got nothing").isZero();
        assertThat(token(token).balanceOf(agent.wallet()).send()).as("the wallet kept everything")
                .isEqualTo(BigInteger.valueOf(FUNDED_MICROS));
        assertThat(authorizationUsedCount(token, agent.wallet())).as("no nonce of the wallet was ever used").isZero();
        assertThat(jdbc.sql("SELECT type FROM audit_events WHERE subject = :s ORDER BY seq")
                .param("s", settlementId).query(String.class).list()).contains("settlement.failed");
    }

    private TestUSDC token(String token) {
        return TestUSDC.load(token, chain().web3j(),
                new org.web3j.tx.ReadonlyTransactionManager(chain().web3j(), chain().account(0).getAddress()),
                new org.web3j.tx.gas.DefaultGasProvider());
    }

    private int authorizationUsedCount(String token, String authorizer) throws Exception {
        EthFilter filter = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, token);
        filter.addSingleTopic(ChainLogs.AUTHORIZATION_USED_TOPIC);
        filter.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(authorizer), 64));
        return chain().web3j().ethGetLogs(filter).send().getLogs().size();
    }
}

package dev.purser.settlement.indexer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.testing.GanacheNode;
import dev.purser.settlement.custody.Custody;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import dev.purser.wallet.eip3009.Bytes32;
import dev.purser.wallet.eip3009.Eip3009;
import dev.purser.wallet.eip3009.SignedTransferAuthorization;
import dev.purser.wallet.eip3009.TokenDomains;
import dev.purser.wallet.eip3009.TransferAuthorization;
import dev.purser.contracts.TestUSDC;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.web3j.crypto.Keys;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

/** The indexer puts our settlements' logs into chain_events and catches money leaving a wallet behind our back. */
class ChainIndexerTest extends PurserTestBase {

    @Autowired
    Custody custody;

    private static String freshAddress() throws Exception {
        return Keys.toChecksumAddress(Keys.getAddress(Keys.createEcKeyPair()));
    }

    @Test
    void indexesASettlementsTransferAndNonceAndLinksThemToIt() throws Exception {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 20_000_000);
        String merchant = freshAddress();
        String id = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"3\",\"merchant\":\"" + merchant + "\"}")
                .string("$.data.id");
        String settlementId = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{}").string("$.data.settlement.id");
        await().atMost(Duration.ofSeconds(60)).until(() -> jdbc.sql("""
                SELECT count(*) FROM chain_events WHERE settlement_id = :s AND status IN ('confirmed', 'finalized')
                """).param("s", settlementId).query(Long.class).single() == 2);
        // Tied to the settlement as soon as indexed; the settlement is confirmed from them once the
        // settler has recorded where it landed.
        await().atMost(Duration.ofSeconds(30)).until(() -> List.of("confirmed", "finalized")
                .contains(api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status")));
        Api.Response s = api().get("/v1/settlements/" + settlementId, ADMIN);
        Map<String, Object> transfer = jdbc.sql("""
                SELECT tx_hash, log_index, args->>'from' AS "from", args->>'to' AS "to", args->>'value' AS value FROM chain_events
                WHERE settlement_id = :s AND event = 'Transfer'
                """).param("s", settlementId).query().singleRow();
        assertThat(transfer.get("tx_hash")).isEqualTo(s.string("$.data.tx_hash"));
        assertThat(((Number) transfer.get("log_index")).intValue()).isEqualTo(s.<Integer>json("$.data.log_index"));
        assertThat(transfer.get("from")).isEqualTo(agent.wallet());
        assertThat(transfer.get("to")).isEqualTo(merchant);
        assertThat(transfer.get("value")).isEqualTo("3000000");
        String nonce = jdbc.sql("SELECT args->>'nonce' FROM chain_events WHERE settlement_id = :s AND event = 'AuthorizationUsed'")
                .param("s", settlementId).query(String.class).single();
        assertThat(nonce).isEqualTo(s.string("$.data.nonce"));
        // The deposit that funded the wallet is indexed too, as a transfer into it.
        assertThat(jdbc.sql("SELECT count(*) FROM chain_events WHERE event = 'Transfer' AND args->>'to' = :w")
                .param("w", agent.wallet()).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void moneyMovedOutOfAnAgentWalletOutsidePurserFreezesTheAgent() throws Exception {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 20_000_000);
        long walletIndex = jdbc.sql("SELECT wallet_index FROM agents WHERE id = :id").param("id", agent.agentId())
                .query(Long.class).single();
        GanacheNode node = chain();
        String token = tokenAddress();
        // Whoever holds the agent's key signs a transfer to themselves and has it submitted: Purser
        // never formed this nonce.
        byte[] nonce = new byte[32];
        new SecureRandom().nextBytes(nonce);
        TransferAuthorization theft = new TransferAuthorization(agent.wallet(), freshAddress(), 5_000_000, 0,
                node.latestBlockTimestamp() + 3600, Bytes32.of(nonce));
        SignedTransferAuthorization signed = Eip3009.sign(custody.agentSigner(walletIndex),
                TokenDomains.read(node.web3j(), token, GanacheNode.CHAIN_ID), theft);
        TestUSDC asThief = TestUSDC.load(token, node.web3j(),
                new RawTransactionManager(node.web3j(), node.fundedAccount(), GanacheNode.CHAIN_ID),
                new StaticGasProvider(BigInteger.valueOf(20_000_000_000L), BigInteger.valueOf(300_000)));
        asThief.transferWithAuthorization(theft.from(), theft.to(), BigInteger.valueOf(theft.valueMicros()), BigInteger.ZERO,
                BigInteger.valueOf(theft.validBeforeEpochSeconds()), nonce, BigInteger.valueOf(signed.v()),
                signed.r().toArray(), signed.s().toArray()).send();

        await().atMost(Duration.ofSeconds(60))
                .until(() -> "frozen".equals(api().get("/v1/agents/" + agent.agentId(), ADMIN).string("$.data.status")));
        Api.Response frozen = api().get("/v1/agents/" + agent.agentId(), ADMIN);
        assertThat(frozen.string("$.data.frozen_reason")).contains("unexplained outflow of 5 USDC");
        List<String> types = jdbc.sql("SELECT type FROM audit_events WHERE agent_id = :a ORDER BY seq")
                .param("a", agent.agentId()).query(String.class).list();
        assertThat(types).contains("wallet.unexplained_outflow", "agent.frozen");
        Api.Response declined = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"1\",\"merchant\":\"" + MERCHANT + "\"}");
        assertThat(declined.string("$.error.code")).isEqualTo("agent_frozen");
        // The balance follows the indexed Transfer out, and balanceOf agrees with it.
        assertThat(frozen.string("$.data.balance.onchain")).isEqualTo("15");
        awaitCrossChecked(agent.agentId());
        assertThat(jdbc.sql("SELECT balance_mismatch FROM agent_funds WHERE agent_id = :a").param("a", agent.agentId())
                .query(Boolean.class).single()).isFalse();
        Api.Response reconciliation = api().get("/v1/audit/reconciliation", ADMIN);
        assertThat(reconciliation.<List<Map<String, Object>>>json("$.data.mismatches"))
                .filteredOn(m -> agent.agentId().equals(m.get("agent_id")))
                .extracting(m -> m.get("kind")).containsExactly("unexplained_outflow");
    }

    @Test
    void anAgentsBalanceIsTheSumOfItsConfirmedTransfersAndBalanceOfAgrees() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 12_000_000);
        mintToAgent(agent.agentId(), agent.wallet(), 3_000_000);
        String id = api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"4\",\"merchant\":\"" + MERCHANT + "\"}")
                .string("$.data.id");
        String settlementId = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{\"amount\":\"1.25\"}")
                .string("$.data.settlement.id");
        await().atMost(Duration.ofSeconds(60)).until(() -> List.of("confirmed", "finalized")
                .contains(api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status")));
        BigDecimal sum = jdbc.sql("""
                SELECT sum(CASE WHEN args->>'to' = :w THEN (args->>'value')::numeric ELSE -(args->>'value')::numeric END)
                FROM chain_events WHERE event = 'Transfer' AND status IN ('confirmed', 'finalized') AND addresses @> ARRAY[lower(:w)]
                """).param("w", agent.wallet()).query(BigDecimal.class).single();
        assertThat(sum).isEqualByComparingTo("13750000");
        assertThat(indexedBalance(agent.agentId())).isEqualByComparingTo(sum);
        Api.Response me = api().get("/v1/me", agent.secret());
        assertThat(me.string("$.data.agent.balance.onchain")).isEqualTo("13.75");
        assertThat(me.string("$.data.agent.balance.available")).isEqualTo("13.75");
        awaitCrossChecked(agent.agentId());
        Map<String, Object> check = jdbc.sql("""
                SELECT chain_balance_micros, balance_mismatch FROM agent_funds WHERE agent_id = :a
                """).param("a", agent.agentId()).query().singleRow();
        assertThat((BigDecimal) check.get("chain_balance_micros")).isEqualByComparingTo(sum);
        assertThat(check.get("balance_mismatch")).isEqualTo(false);
    }

    /**
     * The index counting money the wallet does not hold (as a node that served a log it later
     * disowned would make it) is caught by the balanceOf cross-check: the agent is frozen before
     * it can spend it, the audit log says why, and reconciliation lists it.
     */
    @Test
    void anIndexedBalanceTheChainDoesNotBackFreezesTheAgent() {
        Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 2_000_000);
        awaitCrossChecked(agent.agentId());
        jdbc.sql("""
                UPDATE agent_funds SET indexed_micros = indexed_micros + 5000000, onchain_micros = onchain_micros + 5000000,
                    balance_checked_at = NULL WHERE agent_id = :a
                """).param("a", agent.agentId()).update();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> "frozen".equals(api().get("/v1/agents/" + agent.agentId(), ADMIN).string("$.data.status")));
        assertThat(api().get("/v1/agents/" + agent.agentId(), ADMIN).string("$.data.frozen_reason"))
                .contains("holds 2 USDC on-chain").contains("index counts 7");
        assertThat(jdbc.sql("SELECT type FROM audit_events WHERE agent_id = :a ORDER BY seq").param("a", agent.agentId())
                .query(String.class).list()).contains("agent.frozen", "wallet.balance_mismatch");
        List<Map<String, Object>> mismatches = api().get("/v1/audit/reconciliation", ADMIN)
                .<List<Map<String, Object>>>json("$.data.mismatches").stream()
                .filter(m -> agent.agentId().equals(m.get("agent_id"))).toList();
        assertThat(mismatches).extracting(m -> m.get("source")).containsExactlyInAnyOrder("chain_events", "balanceOf");
        assertThat(mismatches).filteredOn(m -> "balanceOf".equals(m.get("source"))).singleElement()
                .satisfies(m -> assertThat(m).containsEntry("indexed_balance", "7").containsEntry("onchain_balance", "2"));
        assertThat(api().post("/v1/authorizations", agent.secret(), "{\"amount\":\"6\",\"merchant\":\"" + MERCHANT + "\"}")
                .string("$.error.code")).isEqualTo("agent_frozen");
    }

    private void awaitCrossChecked(String agentId) {
        long head;
        try {
            head = chain().web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> jdbc.sql("""
                SELECT chain_balance_block FROM agent_funds WHERE agent_id = :a
                """).param("a", agentId).query(Long.class).optional().filter(b -> b >= head).isPresent());
    }
}

package dev.purser.settlement.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.PurserTestBase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;
import org.web3j.crypto.Keys;

/**
 * Auditors read the chain events the service's indexer recorded and reconcile them with the
 * ledger: a paid settlement with its transfer and AuthorizationUsed indexed, and a balance that
 * adds up, show no mismatch; an outflow nobody settled, a transfer that disagrees with its
 * settlement, and a removed event are each reported. Its own service instance, closed after the
 * class, since it changes chain events behind the service's back (and restores them).
 */
@TestPropertySource(properties = "audit.test.instance=chain-reconciliation")
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class ChainReconciliationTest extends PurserTestBase {

    private record Scenario(Funded agent, String merchant, String settlementId, String txHash, int logIndex, long blockNumber,
            String blockHash, String nonce) {}

    private static Scenario paid;
    private static String auditor;

    @BeforeEach
    void paidAndIndexed() throws Exception {
        if (paid == null) {
            awaitLocalChainBootstrapped();
            Funded agent = fundedAgent("\"per_transaction_limit\":\"10\",\"daily_limit\":\"50\"", 20_000_000);
            String merchant = Keys.toChecksumAddress(Keys.getAddress(Keys.createEcKeyPair()));
            String id = api().post("/v1/authorizations", agent.secret(),
                    "{\"amount\":\"2.5\",\"merchant\":\"" + merchant + "\"}").string("$.data.id");
            String settlementId = api().post("/v1/authorizations/" + id + "/settle", agent.secret(), "{}")
                    .string("$.data.settlement.id");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> List.of("confirmed", "finalized")
                    .contains(api().get("/v1/settlements/" + settlementId, ADMIN).string("$.data.status")));
            Api.Response s = api().get("/v1/settlements/" + settlementId, ADMIN);
            String blockHash = jdbc.sql("SELECT block_hash FROM settlements WHERE id = :id").param("id", settlementId)
                    .query(String.class).single();
            paid = new Scenario(agent, merchant, settlementId, s.string("$.data.tx_hash"), s.<Integer>json("$.data.log_index"),
                    s.<Number>json("$.data.block_number").longValue(), blockHash, s.string("$.data.nonce"));
            Api.Response r = api().post("/v1/credentials", ADMIN, "{\"scope\":\"audit\",\"label\":\"reconciler\"}");
            auditor = r.string("$.data.secret");
            // The settlement is confirmed from the index, so its events are there; the deposit too,
            // once the indexer has passed the settlement's block.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> jdbc.sql("""
                    SELECT count(*) FROM chain_events
                    WHERE addresses @> ARRAY[lower(:wallet)] AND status IN ('confirmed', 'finalized')
                      AND event IN ('Transfer', 'AuthorizationUsed')
                    """).param("wallet", paid.agent().wallet()).query(Long.class).single() == 3);
        }
        refreshBalance();
    }

    /**
     * A fresh service funds its relayer and mints to its treasury from Ganache's account 0 in the
     * background after deploying; minting from the same account before it is done races for the
     * account's nonce. The treasury holding USDC means the bootstrap has finished.
     */
    private void awaitLocalChainBootstrapped() {
        tokenAddress();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Api.Response t = api().get("/v1/treasury", ADMIN);
            return t.status() == 200 && !"0".equals(t.string("$.data.usdc_balance"));
        });
    }

    /** The service re-reads the wallet's balance from the chain (tests cache it for 0 s). */
    /** Waits until the indexer has cross-checked the paid agent's balance at or after the payment's block. */
    private void refreshBalance() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> jdbc.sql("""
                SELECT chain_balance_block FROM agent_funds WHERE agent_id = :id
                """).param("id", paid.agent().agentId()).query(Long.class).optional().filter(b -> b >= paid.blockNumber())
                .isPresent());
    }

    private Api.Response reconcile() {
        Api.Response r = api().get("/v1/audit/reconciliation", auditor);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r;
    }

    private static List<Map<String, Object>> ofKind(Api.Response r, String kind) {
        List<Map<String, Object>> all = r.json("$.data.mismatches");
        return all.stream().filter(m -> kind.equals(m.get("kind"))).toList();
    }

    @Test
    void listsAnAgentsIndexedEventsInChainOrderWithFilters() {
        Api.Response r = api().get("/v1/chain/events?agent_id=" + paid.agent().agentId(), auditor);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        List<Map<String, Object>> items = r.json("$.data.items");
        // The deposit, then the payment: the token's AuthorizationUsed and Transfer, and BatchSettler's outcome.
        assertThat(items).extracting(i -> i.get("event"))
                .containsExactly("Transfer", "AuthorizationUsed", "Transfer", "ItemSettled");
        Map<String, Object> deposit = items.get(0);
        assertThat(r.<String>json("$.data.items[0].args.to")).isEqualToIgnoringCase(paid.agent().wallet());
        assertThat(r.<String>json("$.data.items[0].args.value")).isEqualTo("20000000");
        assertThat(deposit.get("settlement_id")).isNull();
        assertThat(deposit.get("contract")).isEqualTo(tokenAddress());
        assertThat(deposit.get("chain_id")).isEqualTo(1337);
        assertThat(deposit.get("block_hash").toString()).matches("0x[0-9a-f]{64}");
        Map<String, Object> payment = items.get(2);
        assertThat(payment.get("settlement_id")).isEqualTo(paid.settlementId());
        assertThat(payment.get("tx_hash")).isEqualTo(paid.txHash());
        assertThat(payment.get("log_index")).isEqualTo(paid.logIndex());
        assertThat(r.<String>json("$.data.items[2].args.value")).isEqualTo("2500000");
        assertThat(r.<String>json("$.data.items[1].args.nonce")).isEqualTo(paid.nonce());
        assertThat(List.of("pending", "confirmed", "finalized")).contains(payment.get("status").toString());

        Api.Response byMerchant = api().get("/v1/chain/events?address=" + paid.merchant(), auditor);
        assertThat(byMerchant.<List<String>>json("$.data.items[*].event")).containsExactly("Transfer", "ItemSettled");
        assertThat(byMerchant.<List<String>>json("$.data.items[*].tx_hash")).containsOnly(paid.txHash());
        Api.Response byTx = api().get("/v1/chain/events?agent_id=" + paid.agent().agentId() + "&tx_hash=" + paid.txHash(), auditor);
        assertThat(byTx.<List<String>>json("$.data.items[*].event")).containsExactly("AuthorizationUsed", "Transfer", "ItemSettled");
        Api.Response later = api().get("/v1/chain/events?agent_id=" + paid.agent().agentId() + "&from_block="
                + (paid.blockNumber() + 1), auditor);
        assertThat(later.<List<Object>>json("$.data.items")).isEmpty();
        Api.Response nobody = api().get("/v1/chain/events?agent_id=agt_NoSuchAgent", auditor);
        assertThat(nobody.<List<Object>>json("$.data.items")).isEmpty();

        Api.Response first = api().get("/v1/chain/events?limit=1&agent_id=" + paid.agent().agentId(), auditor);
        String cursor = first.string("$.data.next_cursor");
        assertThat(cursor).isNotNull();
        Api.Response second = api().get("/v1/chain/events?limit=3&agent_id=" + paid.agent().agentId() + "&cursor=" + cursor, auditor);
        assertThat(second.<List<String>>json("$.data.items[*].event")).containsExactly("AuthorizationUsed", "Transfer", "ItemSettled");
        assertThat(second.<Object>json("$.data.next_cursor")).isNull();
    }

    @Test
    void findsNothingWhenLedgerAndChainAgree() {
        Api.Response r = reconcile();
        assertThat(r.<List<Object>>json("$.data.mismatches")).as(r.toString()).isEmpty();
        assertThat(r.<Integer>json("$.data.settlements_checked")).isGreaterThanOrEqualTo(1);
        assertThat(r.<Integer>json("$.data.agents_checked")).isGreaterThanOrEqualTo(1);
        assertThat(r.<Integer>json("$.data.limits.settlements_max")).isEqualTo(10_000);
        assertThat(r.string("$.data.scope")).contains("newest 10000");
        assertThat(r.string("$.data.checked_at")).isNotBlank();
        assertThat(r.<Boolean>json("$.data.mismatches_truncated")).isFalse();
    }

    @Test
    void anOutflowNobodySettledIsUnexplainedAndLeavesTheBalanceShort() throws Exception {
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        String fakeTx = "0x" + java.util.HexFormat.of().formatHex(random);
        String wallet = paid.agent().wallet().toLowerCase();
        String thief = "0x000000000000000000000000000000000000dead";
        // Marked as already checked for outflows and applied to balances, so that the service's
        // indexer does not act on a row it never saw on the chain (a forged row): the
        // reconciliation must find it by itself.
        jdbc.sql("""
                INSERT INTO chain_events (chain_id, tx_hash, log_index, block_number, block_hash, contract, event, args,
                                          status, indexed_at, addresses, outflow_checked, balance_applied)
                VALUES (1337, :tx, 0, :block, :blockHash, :token, 'Transfer', CAST(:args AS jsonb), 'confirmed', :now,
                        CAST(:addresses AS text[]), true, true)
                """)
                .param("tx", fakeTx).param("block", paid.blockNumber()).param("blockHash", paid.blockHash())
                .param("token", tokenAddress())
                .param("args", "{\"from\":\"" + wallet + "\",\"to\":\"" + thief + "\",\"value\":\"1000000\"}")
                .param("now", java.sql.Timestamp.from(clock.instant()))
                .param("addresses", "{" + wallet + "," + thief + "}")
                .update();
        try {
            refreshBalance();
            Api.Response r = reconcile();
            List<Map<String, Object>> outflows = ofKind(r, "unexplained_outflow");
            assertThat(outflows).hasSize(1);
            assertThat(outflows.getFirst()).containsEntry("agent_id", paid.agent().agentId()).containsEntry("tx_hash", fakeTx)
                    .containsEntry("amount", "1").containsEntry("to", thief);
            List<Map<String, Object>> balances = ofKind(r, "balance_mismatch");
            assertThat(balances).hasSize(1);
            assertThat(balances.getFirst()).containsEntry("agent_id", paid.agent().agentId()).containsEntry("source", "chain_events")
                    .containsEntry("indexed_balance", "16.5").containsEntry("ledger_balance", "17.5");
        } finally {
            jdbc.sql("DELETE FROM chain_events WHERE tx_hash = :tx").param("tx", fakeTx).update();
        }
        refreshBalance();
        assertThat(reconcile().<List<Object>>json("$.data.mismatches")).isEmpty();
    }

    @Test
    void aSettlementWhoseIndexedTransferDisagreesIsReported() {
        String original = jdbc.sql("SELECT args::text FROM chain_events WHERE tx_hash = :tx AND log_index = :i")
                .param("tx", paid.txHash()).param("i", paid.logIndex()).query(String.class).single();
        jdbc.sql("UPDATE chain_events SET args = jsonb_set(args, '{value}', '\"2500001\"') WHERE tx_hash = :tx AND log_index = :i")
                .param("tx", paid.txHash()).param("i", paid.logIndex()).update();
        try {
            List<Map<String, Object>> found = ofKind(reconcile(), "transfer_mismatch");
            assertThat(found).hasSize(1);
            assertThat(found.getFirst()).containsEntry("settlement_id", paid.settlementId()).containsEntry("field", "value")
                    .containsEntry("expected", "2.5").containsEntry("actual", "2.500001");
        } finally {
            jdbc.sql("UPDATE chain_events SET args = CAST(:args AS jsonb) WHERE tx_hash = :tx AND log_index = :i")
                    .param("args", original).param("tx", paid.txHash()).param("i", paid.logIndex()).update();
        }
        assertThat(ofKind(reconcile(), "transfer_mismatch")).isEmpty();
    }

    @Test
    void aSecondLiveTransferTiedToASettlementIsReported() {
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        String fakeTx = "0x" + java.util.HexFormat.of().formatHex(random);
        String merchant = paid.merchant().toLowerCase();
        String stranger = "0x000000000000000000000000000000000000beef";
        // Tied to the paid settlement, between addresses that are no agent's wallet: it moves no
        // balance and is no outflow, so exactly one check can see it.
        jdbc.sql("""
                INSERT INTO chain_events (chain_id, tx_hash, log_index, block_number, block_hash, contract, event, args,
                                          status, indexed_at, addresses, outflow_checked, balance_applied, settlement_id)
                VALUES (1337, :tx, 0, :block, :blockHash, :token, 'Transfer', CAST(:args AS jsonb), 'confirmed', :now,
                        CAST(:addresses AS text[]), true, true, :settlement)
                """)
                .param("tx", fakeTx).param("block", paid.blockNumber()).param("blockHash", paid.blockHash())
                .param("token", tokenAddress())
                .param("args", "{\"from\":\"" + stranger + "\",\"to\":\"" + merchant + "\",\"value\":\"2500000\"}")
                .param("now", java.sql.Timestamp.from(clock.instant()))
                .param("addresses", "{" + stranger + "," + merchant + "}")
                .param("settlement", paid.settlementId())
                .update();
        try {
            List<Map<String, Object>> all = reconcile().json("$.data.mismatches");
            assertThat(all).singleElement().satisfies(m -> assertThat(m).containsEntry("kind", "transfer_duplicate")
                    .containsEntry("settlement_id", paid.settlementId()).containsEntry("tx_hash", paid.txHash())
                    .containsEntry("other_transfers", 1));
        } finally {
            jdbc.sql("DELETE FROM chain_events WHERE tx_hash = :tx").param("tx", fakeTx).update();
        }
        assertThat(reconcile().<List<Object>>json("$.data.mismatches")).isEmpty();
    }

    @Test
    void aRemovedTransferOrAuthorizationUsedIsReportedMissing() {
        // As a reorg would leave them: the settlement's events are still there, marked removed.
        List<Map<String, Object>> statuses = jdbc.sql("SELECT log_index, status FROM chain_events WHERE tx_hash = :tx")
                .param("tx", paid.txHash()).query().listOfRows();
        jdbc.sql("UPDATE chain_events SET status = 'removed' WHERE tx_hash = :tx").param("tx", paid.txHash()).update();
        try {
            Api.Response r = reconcile();
            assertThat(ofKind(r, "transfer_missing")).singleElement()
                    .satisfies(m -> assertThat(m).containsEntry("settlement_id", paid.settlementId()).containsEntry("tx_hash", paid.txHash()));
            assertThat(ofKind(r, "authorization_used_missing")).singleElement()
                    .satisfies(m -> assertThat(m).containsEntry("settlement_id", paid.settlementId()).containsEntry("nonce", paid.nonce()));
        } finally {
            for (Map<String, Object> row : statuses) {
                jdbc.sql("UPDATE chain_events SET status = :status WHERE tx_hash = :tx AND log_index = :i")
                        .param("status", row.get("status")).param("tx", paid.txHash()).param("i", row.get("log_index")).update();
            }
        }
        assertThat(reconcile().<List<Object>>json("$.data.mismatches")).isEmpty();
    }
}

package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.JsonPath;
import dev.purser.contracts.TestUSDC;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.ExactlyOnce;
import dev.purser.settlement.support.ServiceProcess;
import dev.purser.settlement.support.SettlementRig;
import dev.purser.settlement.support.SpendDriver;
import dev.purser.settlement.support.TcpProxy;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.tx.RawTransactionManager;
import org.web3j.utils.Numeric;

/**
 * The settler against a chain that misbehaves, each fault checked on-chain: the node unreachable
 * (through a TCP proxy the test cuts), our signed authorization front-run by a stranger, and a
 * mined batch dropped from the chain. The service is a child JVM over the test's own PostgreSQL and
 * Ganache (its miner is stopped and its chain rewound here, so it cannot be the shared one).
 * The chain makes a block every half second (as a real one does, rather than only when a
 * transaction arrives) and settlements are confirmed two blocks deep, so that a landed settlement
 * can still be orphaned; tests that stop the miner or rewind pause that heartbeat. The methods run
 * in order: the last one rewinds the chain under the service.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SettlerFaultsTest {

    private static final long FUNDED_MICROS = 1_000L * 1_000_000;
    private static final BigInteger ATTACKER_GAS_PRICE_WEI = BigInteger.valueOf(100_000_000_000L); // 100 gwei

    private SettlementRig rig;
    private TcpProxy proxy;
    private ServiceProcess service;
    private Api api;
    private final java.util.concurrent.atomic.AtomicBoolean heartbeat = new java.util.concurrent.atomic.AtomicBoolean();
    private java.util.concurrent.ScheduledExecutorService blocks;

    @BeforeAll
    void startServiceBehindAProxyToItsOwnChain() {
        rig = SettlementRig.start("faults");
        proxy = TcpProxy.start("127.0.0.1", rig.node().port());
        Map<String, String> properties = rig.serviceProperties("a", proxy.url());
        properties.put("purser.settlement.tick", "PT0.2S");
        properties.put("purser.settlement.max-batch-items", "5");
        properties.put("purser.chain.rpc-timeout", "PT2S");
        properties.put("purser.chain.health-cache-ttl", "PT0.5S");
        properties.put("purser.chain.confirmations", "2");
        service = ServiceProcess.configure("purser-faults", ServiceProcess.freePort(), rig.dir().resolve("service.log"),
                properties);
        service.launch().awaitAnswering(Duration.ofSeconds(120));
        SettlementRig.awaitTrue(Duration.ofSeconds(60), () -> service.log().contains("Local chain ready"),
                "the service funds its relayer and treasury from account 0");
        api = service.api();
        blocks = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("block-heartbeat").daemon().unstarted(r));
        blocks.scheduleWithFixedDelay(() -> {
            if (heartbeat.get()) {
                try {
                    rig.node().mine();
                } catch (RuntimeException ignored) {
                    // The next beat tries again.
                }
            }
        }, 500, 500, java.util.concurrent.TimeUnit.MILLISECONDS);
        heartbeat.set(true);
    }

    /** Each test starts from a reachable node that mines, whatever the one before it left behind. */
    @BeforeEach
    void chainUpAndMining() {
        proxy.restore();
        rig.node().startMiner();
        heartbeat.set(true);
    }

    @AfterAll
    void stopEverything() {
        if (blocks != null) {
            blocks.shutdownNow();
        }
        if (service != null) {
            service.stop();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    @Order(1)
    void settlesAreAcceptedWhileTheNodeIsUnreachableAndEachIsPaidOnceWhenItReturns() throws Exception {
        SettlementRig.Agent agent = rig.fundedAgent(api, "outage", FUNDED_MICROS);
        String merchant = SettlementRig.freshAddress();
        List<SpendDriver.Settled> settled = new ArrayList<>();
        // While the chain is up the service learns the wallet's balance; then a batch goes out and
        // stays in the pool, and the node disappears before the service sees it mined.
        settled.add(settle(agent, merchant, 1_250_000));
        heartbeat.set(false);
        rig.node().stopMiner();
        SpendDriver.Settled inFlight = settle(agent, merchant, 2_000_000);
        settled.add(inFlight);
        String broadcast = awaitBroadcast(inFlight.settlementId());
        proxy.cut();
        rig.node().startMiner();
        heartbeat.set(true);
        SettlementRig.awaitTrue(Duration.ofSeconds(20), () -> receiptExists(broadcast), "the batch is mined behind the service's back");

        for (long micros : new long[] {300_000, 450_000, 5_000_000}) {
            settled.add(settle(agent, merchant, micros));
        }
        String health = SettlementRig.waitFor(Duration.ofSeconds(15), () -> service.health().orElse("{}"),
                h -> h.contains("\"chain\"") && "DOWN".equals(JsonPath.read(h, "$.components.chain.status")));
        assertThat((String) JsonPath.read(health, "$.components.db.status")).isEqualTo("UP");
        SettlementRig.sleep(Duration.ofSeconds(3)); // the settler works (and fails) through several ticks
        assertThat(api.get("/v1/settlements/" + settled.getLast().settlementId(), SettlementRig.ADMIN).string("$.data.status"))
                .as("nothing can be confirmed while the node is away").isIn("queued", "submitted");

        proxy.restore();
        ExactlyOnce.awaitConfirmed(api, settled.stream().map(SpendDriver.Settled::settlementId).toList(), Duration.ofSeconds(60));
        ExactlyOnce.assertPaidExactlyOnce(rig, api, settled, List.of(merchant), Map.of(agent.wallet(), FUNDED_MICROS));
        assertThat((String) JsonPath.read(service.health().orElseThrow(), "$.components.chain.status")).isEqualTo("UP");
    }

    @Test
    @Order(2)
    void aStrangerWhoFrontRunsOurSignedAuthorizationPaysTheMerchantOnceAndTheSettlementNamesTheirTransaction() throws Exception {
        SettlementRig.Agent agent = rig.fundedAgent(api, "front-run", FUNDED_MICROS);
        String merchant = SettlementRig.freshAddress();
        heartbeat.set(false);
        rig.node().stopMiner();
        String attackTx;
        SpendDriver.Settled settled;
        try {
            settled = settle(agent, merchant, 3_300_000);
            String ours = awaitBroadcast(settled.settlementId());
            assertThat(pending(ours)).as("our batch waits in the node's pool").isTrue();
            attackTx = frontRun(settled.settlementId());
        } finally {
            rig.node().startMiner();
            heartbeat.set(true);
        }

        Api.Response s = awaitStatus(settled.settlementId(), Duration.ofSeconds(60), "confirmed", "finalized");
        assertThat(rig.balance(merchant)).as("the merchant is paid once").isEqualTo(3_300_000);
        List<Log> used = rig.authorizationUsed(agent.wallet());
        assertThat(used).hasSize(1);
        assertThat(used.getFirst().getTransactionHash()).as("the stranger's transaction used the nonce").isEqualTo(attackTx);
        assertThat(s.string("$.data.tx_hash")).as("the settlement is recorded against the transaction that paid")
                .isEqualTo(attackTx);
        assertThat(s.string("$.data.nonce")).isEqualTo(used.getFirst().getTopics().get(2));
        assertThat(rig.balance(agent.wallet())).isEqualTo(FUNDED_MICROS - 3_300_000);
    }

    @Test
    @Order(3)
    void aLandedBatchWhoseBlockTheChainDropsIsPaidAgainExactlyOnce() throws Exception {
        SettlementRig.Agent agent = rig.fundedAgent(api, "dropped", FUNDED_MICROS);
        String merchant = SettlementRig.freshAddress();
        heartbeat.set(false); // no block on top of the batch's: it lands but is not yet confirmed
        String snapshot = rig.node().snapshot();
        SpendDriver.Settled settled = settle(agent, merchant, 4_400_000);
        Api.Response landed = SettlementRig.waitFor(Duration.ofSeconds(30),
                () -> api.get("/v1/settlements/" + settled.settlementId(), SettlementRig.ADMIN),
                r -> r.status() == 200 && r.json("$.data.tx_hash") != null);
        assertThat(landed.string("$.data.status")).as("landed one block deep: not yet confirmed (confirmations = 2)")
                .isEqualTo("submitted");
        String droppedTx = landed.string("$.data.tx_hash");
        assertThat(rig.balance(merchant)).isEqualTo(4_400_000);
        SettlementRig.sleep(Duration.ofMillis(1500)); // several settler and indexer ticks, and still no block on top
        assertThat(api.get("/v1/settlements/" + settled.settlementId(), SettlementRig.ADMIN).string("$.data.status"))
                .as("one block deep is neither confirmed nor finalized when confirmations = 2").isEqualTo("submitted");

        rig.node().revert(snapshot); // the block and the transaction in it are gone, also from the pool
        assertThat(receiptExists(droppedTx)).as("the node forgot the batch").isFalse();
        assertThat(pending(droppedTx)).as("the node does not hold the batch any more").isFalse();
        assertThat(rig.balance(merchant)).isZero();
        heartbeat.set(true); // new blocks replace the dropped one

        try {
            Api.Response s = awaitCanonicallyConfirmed(settled.settlementId(), Duration.ofSeconds(90));
            assertThat(rig.balance(merchant)).as("the merchant is paid on the canonical chain, once").isEqualTo(4_400_000);
            List<Log> used = rig.authorizationUsed(agent.wallet());
            assertThat(used).hasSize(1);
            assertThat(s.string("$.data.tx_hash")).as("the settlement names the canonical transaction")
                    .isEqualTo(used.getFirst().getTransactionHash());
            assertThat(receiptExists(s.string("$.data.tx_hash"))).isTrue();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nmerchant balance " + rig.balance(merchant) + "\nsettlement now: "
                    + api.get("/v1/settlements/" + settled.settlementId(), SettlementRig.ADMIN) + "\nrelayer: " + relayerState()
                    + "\nservice log tail:\n" + service.logTail(30), e);
        }
    }

    @Test
    @Order(4)
    void aConfirmedBatchWhoseBlocksTheChainDropsIsPaidAgainExactlyOnce() throws Exception {
        SettlementRig.Agent agent = rig.fundedAgent(api, "dropped-confirmed", FUNDED_MICROS);
        String merchant = SettlementRig.freshAddress();
        heartbeat.set(false);
        String snapshot = rig.node().snapshot();
        SpendDriver.Settled settled = settle(agent, merchant, 5_500_000);
        SettlementRig.waitFor(Duration.ofSeconds(30), () -> api.get("/v1/settlements/" + settled.settlementId(), SettlementRig.ADMIN),
                r -> r.status() == 200 && r.json("$.data.tx_hash") != null);
        rig.node().mine();
        rig.node().mine();
        Api.Response confirmed = awaitStatus(settled.settlementId(), Duration.ofSeconds(30), "confirmed", "finalized");
        String droppedTx = confirmed.string("$.data.tx_hash");
        long pendingBefore = pendingSettlementMicros(agent);

        rig.node().revert(snapshot); // three blocks, the batch among them, are gone
        assertThat(receiptExists(droppedTx)).as("the node forgot the batch").isFalse();
        assertThat(rig.balance(merchant)).isZero();
        heartbeat.set(true);

        try {
            SettlementRig.awaitTrue(Duration.ofSeconds(60), () -> rig.balance(merchant) == 5_500_000,
                    "the merchant is paid again on the canonical chain");
            Api.Response s = awaitCanonicallyConfirmed(settled.settlementId(), Duration.ofSeconds(90));
            List<Log> used = rig.authorizationUsed(agent.wallet());
            assertThat(used).hasSize(1);
            assertThat(s.string("$.data.tx_hash")).as("the settlement names the canonical transaction")
                    .isEqualTo(used.getFirst().getTransactionHash());
            assertThat(receiptExists(s.string("$.data.tx_hash"))).isTrue();
            assertThat(rig.balance(merchant)).as("paid once").isEqualTo(5_500_000);
            assertThat(pendingSettlementMicros(agent)).as("nothing is left pending").isEqualTo(pendingBefore);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nmerchant balance " + rig.balance(merchant) + "\nsettlement now: "
                    + api.get("/v1/settlements/" + settled.settlementId(), SettlementRig.ADMIN) + "\nrelayer: " + relayerState()
                    + "\nservice log tail:\n" + service.logTail(30), e);
        }
    }

    private long pendingSettlementMicros(SettlementRig.Agent agent) {
        String pending = api.get("/v1/me", agent.secret()).string("$.data.agent.balance.pending_settlement");
        return new java.math.BigDecimal(pending).movePointRight(6).longValueExact();
    }

    // ---- helpers ----

    private SpendDriver.Settled settle(SettlementRig.Agent agent, String merchant, long micros) {
        Api.Response authorized = api.postWithKey("/v1/authorizations", agent.secret(),
                "{\"amount\":\"" + SpendDriver.usdc(micros) + "\",\"merchant\":\"" + merchant + "\"}", UUID.randomUUID().toString());
        assertThat(authorized.status()).as(authorized.toString()).isEqualTo(201);
        String id = authorized.string("$.data.id");
        Api.Response settled = api.postWithKey("/v1/authorizations/" + id + "/settle", agent.secret(), "{}",
                UUID.randomUUID().toString());
        assertThat(settled.status()).as(settled.toString()).isEqualTo(200);
        return new SpendDriver.Settled(agent.wallet(), id, settled.string("$.data.settlement.id"), merchant, micros, Instant.now());
    }

    private Api.Response awaitStatus(String settlementId, Duration timeout, String... statuses) {
        return SettlementRig.waitFor(timeout, () -> api.get("/v1/settlements/" + settlementId, SettlementRig.ADMIN),
                r -> r.status() == 200 && List.of(statuses).contains(r.string("$.data.status")));
    }

    /**
     * Waits until the settlement is confirmed (or finalized) on a transaction that is on the
     * canonical chain: a status alone could still describe a landing that a reorg has orphaned.
     */
    private Api.Response awaitCanonicallyConfirmed(String settlementId, Duration timeout) {
        return SettlementRig.waitFor(timeout, () -> api.get("/v1/settlements/" + settlementId, SettlementRig.ADMIN), r -> {
            if (r.status() != 200 || !List.of("confirmed", "finalized").contains(r.string("$.data.status"))
                    || r.json("$.data.tx_hash") == null) {
                return false;
            }
            try {
                var receipt = rig.node().web3j().ethGetTransactionReceipt(r.string("$.data.tx_hash")).send().getTransactionReceipt();
                if (receipt.isEmpty()) {
                    return false;
                }
                var block = rig.node().web3j().ethGetBlockByNumber(
                        org.web3j.protocol.core.DefaultBlockParameter.valueOf(receipt.get().getBlockNumber()), false).send().getBlock();
                return block != null && block.getHash().equalsIgnoreCase(receipt.get().getBlockHash())
                        && receipt.get().getBlockNumber().longValueExact() == r.<Number>json("$.data.block_number").longValue();
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    /** Waits until the relayer has stored and broadcast the batch carrying the settlement; returns its tx hash. */
    private String awaitBroadcast(String settlementId) {
        return SettlementRig.waitFor(Duration.ofSeconds(20), () -> latestAttemptOf(settlementId),
                hash -> hash.isPresent() && pending(hash.get())).orElseThrow();
    }

    private Optional<String> latestAttemptOf(String settlementId) {
        try (Connection c = rig.db();
                PreparedStatement ps = c.prepareStatement("""
                        SELECT a.tx_hash FROM settlements s
                        JOIN relayer_transaction t ON t.reference = s.batch_id
                        JOIN relayer_attempt a ON a.sender = t.sender AND a.nonce = t.nonce
                        WHERE s.id = ? ORDER BY a.number DESC LIMIT 1
                        """)) {
            ps.setString(1, settlementId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean pending(String txHash) {
        try {
            return rig.node().web3j().ethGetTransactionByHash(txHash).send().getTransaction().isPresent();
        } catch (Exception e) {
            return false;
        }
    }

    private boolean receiptExists(String txHash) {
        try {
            return rig.node().web3j().ethGetTransactionReceipt(txHash).send().getTransactionReceipt().isPresent();
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Reads the settlement's signed authorization from PostgreSQL (as anyone who saw the pending
     * batch in the mempool could) and submits it straight to the token, paying more for gas.
     */
    private String frontRun(String settlementId) throws Exception {
        String from;
        String to;
        long amount;
        long validBefore;
        String nonce;
        byte[] signature;
        try (Connection c = rig.db();
                PreparedStatement ps = c.prepareStatement("""
                        SELECT from_address, merchant, amount_micros, valid_before, nonce, signature FROM settlements WHERE id = ?
                        """)) {
            ps.setString(1, settlementId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                from = rs.getString(1);
                to = rs.getString(2);
                amount = rs.getLong(3);
                validBefore = rs.getLong(4);
                nonce = rs.getString(5);
                signature = rs.getBytes(6);
            }
        }
        Credentials attacker = rig.node().fundedAccount();
        TestUSDC token = rig.contracts().tokenAs(attacker);
        String data = token.transferWithAuthorization(from, to, BigInteger.valueOf(amount), BigInteger.ZERO,
                BigInteger.valueOf(validBefore), Numeric.hexStringToByteArray(nonce), BigInteger.valueOf(signature[64] & 0xff),
                java.util.Arrays.copyOfRange(signature, 0, 32), java.util.Arrays.copyOfRange(signature, 32, 64))
                .encodeFunctionCall();
        EthSendTransaction sent = new RawTransactionManager(rig.node().web3j(), attacker, GanacheNode.CHAIN_ID)
                .sendTransaction(ATTACKER_GAS_PRICE_WEI, BigInteger.valueOf(200_000), rig.token(), data, BigInteger.ZERO);
        assertThat(sent.hasError()).as(sent.hasError() ? sent.getError().getMessage() : "").isFalse();
        return sent.getTransactionHash();
    }

    private String relayerState() {
        StringBuilder b = new StringBuilder();
        try (Connection c = rig.db();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT nonce, reference, status, inclusion_tx_hash, inclusion_block FROM relayer_transaction ORDER BY nonce");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                b.append("\n  nonce ").append(rs.getLong(1)).append(' ').append(rs.getString(2)).append(' ')
                        .append(rs.getString(3)).append(' ').append(rs.getString(4)).append(" block ").append(rs.getObject(5));
            }
        } catch (Exception e) {
            b.append(e);
        }
        return b.toString();
    }
}

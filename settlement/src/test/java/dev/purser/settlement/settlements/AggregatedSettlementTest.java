package dev.purser.settlement.settlements;

import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.settlement.support.Api;
import dev.purser.settlement.support.ExactlyOnce;
import dev.purser.settlement.support.ServiceProcess;
import dev.purser.settlement.support.SettlementRig;
import dev.purser.settlement.support.SpendDriver;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Aggregated mode (DESIGN.md "Settlement modes" and "Settlement nonce and proofs"): settled
 * authorizations of one agent and merchant accumulate into settlements closed by count or by
 * window; each is paid once on-chain under a nonce that is the Merkle root of its
 * authorizations, and the proof the API gives for every authorization is checked here by an
 * independent implementation against the nonce the token itself recorded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AggregatedSettlementTest {

    private static final long FUNDED_MICROS = 1_000L * 1_000_000;
    private static final int SETTLES = 25;
    private static final int MAX_ITEMS = 10;
    private static final Duration WINDOW = Duration.ofSeconds(2);

    private SettlementRig rig;
    private ServiceProcess service;
    private Api api;
    private String relayer;

    @BeforeAll
    void startAnAggregatingService() {
        rig = SettlementRig.start("aggregated");
        Map<String, String> properties = rig.serviceProperties("a", rig.node().rpcUrl());
        properties.put("purser.settlement.mode", "aggregated");
        properties.put("purser.settlement.aggregation-max-items", Integer.toString(MAX_ITEMS));
        properties.put("purser.settlement.aggregation-window", "PT" + WINDOW.toSeconds() + "S");
        properties.put("purser.settlement.tick", "PT0.2S");
        service = ServiceProcess.configure("purser-aggregated", ServiceProcess.freePort(), rig.dir().resolve("service.log"),
                properties);
        service.launch().awaitAnswering(Duration.ofSeconds(120));
        SettlementRig.awaitTrue(Duration.ofSeconds(60), () -> service.log().contains("Local chain ready"),
                "the service funds its relayer and treasury from account 0");
        api = service.api();
        relayer = com.jayway.jsonpath.JsonPath.read(service.health().orElseThrow(), "$.components.relayer.details.address");
    }

    @AfterAll
    void stopEverything() {
        if (service != null) {
            service.stop();
        }
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void twentyFiveSettlesToOneMerchantBecomeSettlementsOfTenTenAndFiveEachPaidOnceAndProvenByItsNonce() throws Exception {
        SettlementRig.Agent agent = rig.fundedAgent(api, "aggregating", FUNDED_MICROS);
        String merchant = SettlementRig.freshAddress();
        List<String> authorizations = new ArrayList<>();
        Map<String, Long> settledMicros = new LinkedHashMap<>();
        for (int i = 0; i < SETTLES; i++) {
            long micros = 10_000L * (i + 1) + i; // all different, so a swapped leaf could not go unnoticed
            Api.Response r = api.postWithKey("/v1/authorizations", agent.secret(),
                    "{\"amount\":\"" + SpendDriver.usdc(micros) + "\",\"merchant\":\"" + merchant + "\"}", UUID.randomUUID().toString());
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            authorizations.add(r.string("$.data.id"));
            settledMicros.put(r.string("$.data.id"), micros);
        }

        // The settler is held off while the 25 settles arrive (the test owns its advisory lock, as a
        // second instance would), so that how fast this machine answers cannot close a settlement by
        // its window early: composition is decided by count alone, then the settler closes what is
        // full at once and the rest when its window ends.
        List<SpendDriver.Settled> settled = Collections.synchronizedList(new ArrayList<>());
        try (java.sql.Connection lock = holdSettlerLock()) {
            ExecutorService pool = Executors.newFixedThreadPool(5);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (String id : authorizations) {
                    done.add(pool.submit(() -> {
                        Api.Response r = api.postWithKey("/v1/authorizations/" + id + "/settle", agent.secret(), "{}",
                                UUID.randomUUID().toString());
                        assertThat(r.status()).as(r.toString()).isEqualTo(200);
                        settled.add(new SpendDriver.Settled(agent.wallet(), id, r.string("$.data.settlement.id"), merchant,
                                settledMicros.get(id), Instant.now()));
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            for (String id : settled.stream().map(SpendDriver.Settled::settlementId).distinct().toList()) {
                Api.Response s = api.get("/v1/settlements/" + id, SettlementRig.ADMIN);
                assertThat(s.string("$.data.status")).as("nothing is formed while the settler is held off").isEqualTo("queued");
                assertThat((Object) s.json("$.data.nonce")).isNull();
            }
        }

        Map<String, List<String>> bySettlement = settled.stream().collect(Collectors.groupingBy(
                SpendDriver.Settled::settlementId, Collectors.mapping(SpendDriver.Settled::authorizationId, Collectors.toList())));
        assertThat(bySettlement.values().stream().map(List::size).sorted(Collections.reverseOrder()).toList())
                .as("full settlements of 10, and the rest").containsExactly(10, 10, 5);

        ExactlyOnce.awaitConfirmed(api, bySettlement.keySet(), Duration.ofSeconds(60));
        String partial = bySettlement.entrySet().stream().filter(e -> e.getValue().size() == 5).findFirst().orElseThrow().getKey();
        Instant partialCreated = Instant.parse(api.get("/v1/settlements/" + partial, SettlementRig.ADMIN).string("$.data.created_at"));
        assertThat(formedAt(partial)).as("the partial settlement is closed by its window, not before")
                .isAfterOrEqualTo(partialCreated.plus(WINDOW));
        ExactlyOnce.assertPaidExactlyOnce(rig, api, List.copyOf(settled), List.of(merchant), Map.of(agent.wallet(), FUNDED_MICROS));

        Map<String, Log> usedByNonce = new HashMap<>();
        rig.authorizationUsed(agent.wallet()).forEach(l -> usedByNonce.put(l.getTopics().get(2).toLowerCase(), l));
        for (var entry : bySettlement.entrySet()) {
            Api.Response s = api.get("/v1/settlements/" + entry.getKey(), SettlementRig.ADMIN);
            assertThat(s.<List<String>>json("$.data.authorization_ids")).containsExactlyInAnyOrderElementsOf(entry.getValue());
            long sum = entry.getValue().stream().mapToLong(settledMicros::get).sum();
            assertThat(s.string("$.data.amount")).isEqualTo(SpendDriver.usdc(sum));
            assertThat(transferredOnChain(s.string("$.data.tx_hash"), s.<Number>json("$.data.log_index").intValue(),
                    agent.wallet(), merchant))
                    .as("the transfer's value is the sum of the leaves").isEqualTo(sum);

            for (String authorizationId : entry.getValue()) {
                Api.Response p = api.get("/v1/settlements/" + entry.getKey() + "/proof?authorization_id=" + authorizationId,
                        SettlementRig.ADMIN);
                assertThat(p.status()).as(p.toString()).isEqualTo(200);
                assertThat(p.<Number>json("$.data.chain_id").longValue()).isEqualTo(1337);
                String leaf = leaf(p.<Number>json("$.data.chain_id").longValue(), p.string("$.data.token"), p.string("$.data.from"),
                        p.string("$.data.to"), settledMicros.get(authorizationId), authorizationId);
                assertThat(p.string("$.data.token")).isEqualToIgnoringCase(rig.token());
                assertThat(p.string("$.data.from")).isEqualToIgnoringCase(agent.wallet());
                assertThat(p.string("$.data.to")).isEqualToIgnoringCase(merchant);
                assertThat(p.string("$.data.leaf")).as("the leaf, recomputed here").isEqualTo(leaf);
                String root = fold(leaf, p.<List<String>>json("$.data.proof"));
                Log used = usedByNonce.get(root);
                assertThat(used).as("the proof of " + authorizationId + " leads to a nonce the token recorded").isNotNull();
                assertThat(used.getTransactionHash()).isEqualTo(p.string("$.data.tx_hash"));
                assertThat(root).isEqualTo(p.string("$.data.nonce").toLowerCase());
            }
        }
    }

    /**
     * Takes the settler's advisory lock (RelayerLeadership's name for it) as a leading instance
     * holds it: the service is stopped so that its session lets go, and started again to stand by.
     */
    private java.sql.Connection holdSettlerLock() throws Exception {
        service.stop();
        java.sql.Connection c = rig.db();
        try (var ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
            ps.setString(1, "purser.settler." + relayer.toLowerCase());
            try (var rs = ps.executeQuery()) {
                assertThat(rs.next() && rs.getBoolean(1)).as("the settler's lock is free once the service stopped").isTrue();
            }
        }
        service.launch().awaitAnswering(Duration.ofSeconds(120));
        return c;
    }

    /** When the settlement got its nonce: the time of its settlement.formed audit event. */
    private Instant formedAt(String settlementId) throws Exception {
        try (java.sql.Connection c = rig.db();
                var ps = c.prepareStatement("SELECT at FROM audit_events WHERE type = 'settlement.formed' AND subject = ?")) {
            ps.setString(1, settlementId);
            try (var rs = ps.executeQuery()) {
                assertThat(rs.next()).as("settlement.formed of " + settlementId).isTrue();
                Instant at = rs.getTimestamp(1).toInstant();
                assertThat(rs.next()).as("formed once").isFalse();
                return at;
            }
        }
    }

    /** leaf = keccak256(abi.encode(chainId, token, from, to, amount, keccak256(bytes(authorizationId)))). */
    static String leaf(long chainId, String token, String from, String to, long amountMicros, String authorizationId) {
        byte[] encoded = new byte[6 * 32];
        put(encoded, 0, Numeric.toBytesPadded(BigInteger.valueOf(chainId), 32));
        put(encoded, 1, Numeric.toBytesPadded(Numeric.toBigInt(token), 32));
        put(encoded, 2, Numeric.toBytesPadded(Numeric.toBigInt(from), 32));
        put(encoded, 3, Numeric.toBytesPadded(Numeric.toBigInt(to), 32));
        put(encoded, 4, Numeric.toBytesPadded(BigInteger.valueOf(amountMicros), 32));
        put(encoded, 5, Hash.sha3(authorizationId.getBytes(StandardCharsets.UTF_8)));
        return Numeric.toHexString(Hash.sha3(encoded));
    }

    /** Walks a proof up with sorted pairs: parent = keccak256(min(a, b) ‖ max(a, b)). */
    static String fold(String leaf, List<String> proof) {
        byte[] node = Numeric.hexStringToByteArray(leaf);
        for (String siblingHex : proof) {
            byte[] sibling = Numeric.hexStringToByteArray(siblingHex);
            byte[] pair = new byte[64];
            boolean nodeFirst = Arrays.compareUnsigned(node, sibling) <= 0;
            System.arraycopy(nodeFirst ? node : sibling, 0, pair, 0, 32);
            System.arraycopy(nodeFirst ? sibling : node, 0, pair, 32, 32);
            node = Hash.sha3(pair);
        }
        return Numeric.toHexString(node);
    }

    private static void put(byte[] into, int word, byte[] value) {
        System.arraycopy(value, 0, into, word * 32, 32);
    }

    /** The value of the token Transfer at {@code logIndex} of the transaction, which must go from → to. */
    private long transferredOnChain(String txHash, int logIndex, String from, String to) throws Exception {
        TransactionReceipt receipt = rig.node().web3j().ethGetTransactionReceipt(txHash).send().getTransactionReceipt()
                .orElseThrow();
        String transferTopic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
        Log transfer = receipt.getLogs().stream().filter(l -> l.getLogIndex().intValueExact() == logIndex).findFirst()
                .orElseThrow(() -> new AssertionError("no log " + logIndex + " in " + txHash));
        assertThat(transfer.getAddress()).isEqualToIgnoringCase(rig.token());
        assertThat(transfer.getTopics().get(0)).isEqualTo(transferTopic);
        assertThat(Numeric.toBigInt(transfer.getTopics().get(1))).isEqualTo(Numeric.toBigInt(from));
        assertThat(Numeric.toBigInt(transfer.getTopics().get(2))).isEqualTo(Numeric.toBigInt(to));
        return Numeric.toBigInt(transfer.getData()).longValueExact();
    }

    @Test
    void theIndependentLeafAndProofCheckAgreesWithTheSharedVectors() {
        int checked = 0;
        for (var tree : dev.purser.contracts.testing.PurserVectors.section("settlement_merkle")) {
            for (var a : tree.get("authorizations")) {
                String leaf = leaf(tree.get("chain_id").asLong(), tree.get("token").asText(), tree.get("from").asText(),
                        tree.get("to").asText(), a.get("amount_micros").asLong(), a.get("id").asText());
                assertThat(leaf).as(tree.get("name").asText() + " " + a.get("id").asText()).isEqualTo(a.get("leaf").asText());
                List<String> proof = new ArrayList<>();
                a.get("proof").forEach(p -> proof.add(p.asText()));
                assertThat(fold(leaf, proof)).isEqualTo(tree.get("nonce").asText());
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(8);
    }
}

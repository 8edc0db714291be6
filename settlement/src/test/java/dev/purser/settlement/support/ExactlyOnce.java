package dev.purser.settlement.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.web3j.protocol.core.methods.response.Log;

/**
 * DESIGN.md invariants 2 and 3 checked where the money is: every settle that returned 200 is paid
 * to its merchant once and only once, as the token itself records it (balances and
 * AuthorizationUsed logs), not as our database says.
 */
public final class ExactlyOnce {

    private ExactlyOnce() {}

    /** Waits until every settlement is confirmed or finalized; fails listing the stragglers. */
    public static void awaitConfirmed(Api api, Collection<String> settlementIds, Duration timeout) {
        Set<String> waiting = new LinkedHashSet<>(settlementIds);
        Instant deadline = Instant.now().plus(timeout);
        Map<String, String> lastStatus = new TreeMap<>();
        while (!waiting.isEmpty() && Instant.now().isBefore(deadline)) {
            for (var it = waiting.iterator(); it.hasNext(); ) {
                String id = it.next();
                try {
                    Api.Response r = api.get("/v1/settlements/" + id, SettlementRig.ADMIN);
                    String status = r.status() == 200 ? r.string("$.data.status") : "HTTP " + r.status();
                    lastStatus.put(id, status);
                    if (status.equals("confirmed") || status.equals("finalized")) {
                        it.remove();
                    }
                } catch (IllegalStateException serviceDown) {
                    break;
                }
            }
            if (!waiting.isEmpty()) {
                SettlementRig.sleep(Duration.ofMillis(300));
            }
        }
        Map<String, String> stragglers = new TreeMap<>();
        waiting.forEach(id -> stragglers.put(id, lastStatus.getOrDefault(id, "?")));
        assertThat(stragglers).as("settlements not confirmed within " + timeout).isEmpty();
    }

    /**
     * On-chain: each merchant holds exactly the sum of its 200-settled amounts; each agent wallet
     * has exactly one AuthorizationUsed per distinct settlement, no nonce twice, each one the
     * settlement's nonce and in the transaction the settlement names; each wallet lost exactly what
     * it settled.
     */
    public static void assertPaidExactlyOnce(SettlementRig rig, Api api, List<SpendDriver.Settled> settled,
            Collection<String> merchants, Map<String, Long> fundedByWallet) {
        Map<String, Long> owedByMerchant = new HashMap<>();
        merchants.forEach(m -> owedByMerchant.put(m, 0L));
        settled.forEach(s -> owedByMerchant.merge(s.merchant(), s.micros(), Long::sum));
        Map<String, Long> paidByMerchant = new HashMap<>();
        owedByMerchant.keySet().forEach(m -> paidByMerchant.put(m, rig.balance(m)));
        assertThat(paidByMerchant).as("on-chain merchant balances = the sums of their 200-settled amounts")
                .isEqualTo(owedByMerchant);

        Map<String, List<SpendDriver.Settled>> byWallet = settled.stream()
                .collect(Collectors.groupingBy(SpendDriver.Settled::agentWallet));
        for (var wallet : fundedByWallet.keySet()) {
            List<SpendDriver.Settled> mine = byWallet.getOrDefault(wallet, List.of());
            Set<String> settlementIds = mine.stream().map(SpendDriver.Settled::settlementId)
                    .collect(Collectors.toCollection(LinkedHashSet::new));
            List<Log> used = rig.authorizationUsed(wallet);
            List<String> nonces = SettlementRig.nonces(used);
            assertThat(nonces).as("no nonce of " + wallet + " is used twice").doesNotHaveDuplicates();
            assertThat(used).as("AuthorizationUsed events of " + wallet + " = its distinct settlements")
                    .hasSize(settlementIds.size());

            Map<String, String> txByNonce = new HashMap<>();
            used.forEach(l -> txByNonce.put(l.getTopics().get(2).toLowerCase(), l.getTransactionHash()));
            List<String> mismatches = new ArrayList<>();
            for (String id : settlementIds) {
                Api.Response s = api.get("/v1/settlements/" + id, SettlementRig.ADMIN);
                String nonce = s.string("$.data.nonce").toLowerCase();
                String onChainTx = txByNonce.get(nonce);
                if (onChainTx == null) {
                    mismatches.add(id + ": nonce " + nonce + " was never used on-chain");
                } else if (!onChainTx.equalsIgnoreCase(s.string("$.data.tx_hash"))) {
                    mismatches.add(id + ": names tx " + s.string("$.data.tx_hash") + " but the nonce was used in " + onChainTx);
                }
            }
            assertThat(mismatches).as("each settlement's nonce is used on-chain in the transaction it names").isEmpty();

            long spent = mine.stream().mapToLong(SpendDriver.Settled::micros).sum();
            assertThat(rig.balance(wallet)).as("wallet " + wallet + " paid exactly what it settled")
                    .isEqualTo(fundedByWallet.get(wallet) - spent);
        }
    }

    /**
     * DESIGN.md "Chain indexing": once the indexer has passed the current head, {@code
     * chain_events} holds every token log naming these wallets (Transfers from and to them,
     * their AuthorizationUsed) exactly once and live, and no live one the chain does not have:
     * whatever restarts happened, indexing resumed without a gap or a stray.
     */
    public static void assertIndexMatchesChain(SettlementRig rig, Collection<String> wallets, Duration timeout) throws Exception {
        long head = rig.node().web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        SettlementRig.awaitTrue(timeout, () -> indexedUpTo(rig) >= head, "the indexer reaches block " + head);
        for (String wallet : wallets) {
            List<String> indexed = new ArrayList<>();
            try (var c = rig.db(); var ps = c.prepareStatement(TokenLogs.INDEXED_KEYS_SQL)) {
                ps.setString(1, wallet);
                ps.setString(2, rig.token());
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        indexed.add(rs.getString(1));
                    }
                }
            }
            assertThat(indexed).as("indexed token logs of " + wallet + " = its logs on the chain")
                    .containsExactlyInAnyOrderElementsOf(TokenLogs.keys(TokenLogs.namingWallet(rig.node().web3j(), rig.token(), wallet)));
        }
    }

    private static long indexedUpTo(SettlementRig rig) {
        try (var c = rig.db(); var rs = c.createStatement().executeQuery("SELECT max(next_block) FROM indexer_cursor")) {
            return rs.next() ? rs.getLong(1) - 1 : -1;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}

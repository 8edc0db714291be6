package dev.purser.wallet.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.purser.wallet.Vectors;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.MnemonicUtils;

class HdWalletTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final JsonNode BIP44 = Vectors.get("bip44_derivation");

    @Test
    void derivesTheVectorAddressesAtTheAgentTreasuryAndRelayerPaths() {
        HdWallet wallet = HdWallet.fromMnemonic(BIP44.get("mnemonic").asText());
        JsonNode expected = BIP44.get("addresses");

        assertThat(wallet.agentAddress(0)).isEqualTo(expected.get("m/44'/60'/0'/0/0").asText());
        assertThat(wallet.agentAddress(1)).isEqualTo(expected.get("m/44'/60'/0'/0/1").asText());
        assertThat(wallet.agentAddress(2)).isEqualTo(expected.get("m/44'/60'/0'/0/2").asText());
        assertThat(wallet.agentAddress(41)).isEqualTo(expected.get("m/44'/60'/0'/0/41").asText());
        assertThat(wallet.treasury().address()).isEqualTo(expected.get("m/44'/60'/1'/0/0").asText());
        assertThat(wallet.relayer().address()).isEqualTo(expected.get("m/44'/60'/2'/0/0").asText());
        assertThat(wallet.agentSigner(41).address()).isEqualTo(wallet.agentAddress(41));
        assertThat(wallet.origin()).isEqualTo(SeedOrigin.GIVEN);
    }

    @Test
    void createsAFreshTwentyFourWordSeedWhenTheStoreIsEmptyAndLoadsItAfterwards() {
        MasterKey key = MasterKey.generate(RANDOM);
        InMemoryEncryptedSeedStore store = new InMemoryEncryptedSeedStore();

        HdWallet created = HdWallet.openOrCreate(key, store, RANDOM);
        HdWallet reopened = HdWallet.openOrCreate(key, store, RANDOM);

        assertThat(created.origin()).isEqualTo(SeedOrigin.CREATED);
        assertThat(reopened.origin()).isEqualTo(SeedOrigin.LOADED);
        assertThat(reopened.relayer().address()).isEqualTo(created.relayer().address());
        assertThat(reopened.treasury().address()).isEqualTo(created.treasury().address());
        assertThat(reopened.agentAddress(7)).isEqualTo(created.agentAddress(7));
        assertThat(SeedEnvelope.open(key, store.load().orElseThrow()).split(" ")).hasSize(24);
    }

    @Test
    void twoDeploymentsGetDifferentSeeds() {
        HdWallet one = HdWallet.openOrCreate(MasterKey.generate(RANDOM), new InMemoryEncryptedSeedStore(), RANDOM);
        HdWallet two = HdWallet.openOrCreate(MasterKey.generate(RANDOM), new InMemoryEncryptedSeedStore(), RANDOM);

        assertThat(one.relayer().address()).isNotEqualTo(two.relayer().address());
    }

    @Test
    void refusesToOpenTheStoredSeedWithAnotherMasterKey() {
        InMemoryEncryptedSeedStore store = new InMemoryEncryptedSeedStore();
        HdWallet.openOrCreate(MasterKey.generate(RANDOM), store, RANDOM);
        byte[] before = store.load().orElseThrow();

        assertThatThrownBy(() -> HdWallet.openOrCreate(MasterKey.generate(RANDOM), store, RANDOM))
                .isInstanceOf(WrongMasterKeyException.class)
                .hasMessageContaining("the master key does not decrypt the stored wallet seed");
        assertThat(store.load().orElseThrow()).as("the stored seed is never replaced").isEqualTo(before);
    }

    @Test
    void usesTheSeedOfWhicheverInstanceStoredFirst() {
        MasterKey key = MasterKey.generate(RANDOM);
        InMemoryEncryptedSeedStore shared = new InMemoryEncryptedSeedStore();
        HdWallet winner = HdWallet.openOrCreate(key, shared, RANDOM);
        // This instance saw an empty store, then lost the race to save.
        EncryptedSeedStore racing = new EncryptedSeedStore() {
            @Override
            public Optional<byte[]> load() {
                return Optional.empty();
            }

            @Override
            public byte[] saveIfAbsent(byte[] envelope) {
                return shared.saveIfAbsent(envelope);
            }
        };

        HdWallet loser = HdWallet.openOrCreate(key, racing, RANDOM);

        assertThat(loser.origin()).isEqualTo(SeedOrigin.LOADED);
        assertThat(loser.relayer().address()).isEqualTo(winner.relayer().address());
    }

    @Test
    void concurrentFirstStartsAllEndUpWithTheSameSeed() throws Exception {
        MasterKey key = MasterKey.generate(RANDOM);
        InMemoryEncryptedSeedStore store = new InMemoryEncryptedSeedStore();
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<HdWallet>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<HdWallet> open = () -> {
                    start.await();
                    return HdWallet.openOrCreate(key, store, RANDOM);
                };
                futures.add(pool.submit(open));
            }
            start.countDown();
            Set<String> relayers = new HashSet<>();
            int created = 0;
            for (Future<HdWallet> f : futures) {
                HdWallet wallet = f.get(30, TimeUnit.SECONDS);
                relayers.add(wallet.relayer().address());
                created += wallet.origin() == SeedOrigin.CREATED ? 1 : 0;
            }
            assertThat(relayers).hasSize(1);
            assertThat(created).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesAnInvalidMnemonicWithoutQuotingIt() {
        String wrongChecksum = "test test test test test test test test test test test test";

        assertThatIllegalArgumentException()
                .isThrownBy(() -> HdWallet.fromMnemonic(wrongChecksum))
                .withMessageContaining("not a valid BIP-39 mnemonic")
                .withMessageNotContaining("test test");
    }

    @Test
    void refusesAgentIndexesOutsideTheNonHardenedRange() {
        HdWallet wallet = HdWallet.fromMnemonic(MnemonicUtils.generateMnemonic(new byte[32]));

        assertThatIllegalArgumentException().isThrownBy(() -> wallet.agentSigner(-1));
        assertThatIllegalArgumentException().isThrownBy(() -> wallet.agentAddress(HdWallet.MAX_AGENT_INDEX + 1));
        assertThat(wallet.agentAddress(HdWallet.MAX_AGENT_INDEX)).startsWith("0x").hasSize(42);
    }

    @Test
    void neverPrintsItsSeedOrKeys() {
        HdWallet wallet = HdWallet.fromMnemonic(BIP44.get("mnemonic").asText());

        assertThat(wallet.toString()).doesNotContain("test").contains("redacted");
        assertThat(wallet.relayer().toString()).contains(wallet.relayer().address()).contains("redacted");
    }
}

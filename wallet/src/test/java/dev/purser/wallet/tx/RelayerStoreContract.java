package dev.purser.wallet.tx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;

/**
 * The behaviour every {@link RelayerStore} must have. A database implementation extends this class
 * (it is in the wallet's test jar) and provides an empty store; the attempts here are dummies, the
 * store treats the signed bytes as opaque.
 */
public abstract class RelayerStoreContract {

    protected static final String SENDER = "0x98e503f35D0a019cB0a251aD243a4cCFCF371F46";
    private static final String TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** A store that holds nothing. */
    protected abstract RelayerStore emptyStore();

    @Test
    void refusesToAllocateBeforeTheCounterIsSeeded() {
        RelayerStore store = emptyStore();

        assertThat(store.nextNonce(SENDER)).isEmpty();
        assertThatIllegalStateException().isThrownBy(() -> store.allocate(SENDER, request("a"), T0, RelayerStoreContract::attempt));
    }

    @Test
    void seedsAndOnlyEverRaisesTheCounter() {
        RelayerStore store = emptyStore();

        assertThat(store.advanceNextNonce(SENDER, 5)).isEqualTo(5);
        assertThat(store.advanceNextNonce(SENDER, 3)).isEqualTo(5);
        assertThat(store.advanceNextNonce(SENDER.toLowerCase(), 7)).as("addresses are case-insensitive").isEqualTo(7);
        assertThat(store.nextNonce(SENDER)).hasValue(7);
    }

    @Test
    void allocatesContiguousNoncesAndStoresTheSignedAttempt() {
        RelayerStore store = seeded(10);

        StoredTransaction first = store.allocate(SENDER, request("a"), T0, RelayerStoreContract::attempt);
        StoredTransaction second = store.allocate(SENDER, request("b"), T0, RelayerStoreContract::attempt);

        assertThat(first.nonce()).isEqualTo(10);
        assertThat(second.nonce()).isEqualTo(11);
        assertThat(store.nextNonce(SENDER)).hasValue(12);
        assertThat(store.find(SENDER, 10)).contains(first);
        assertThat(first.latestAttempt().signedRaw()).isEqualTo(attempt(10).signedRaw());
        assertThat(first.status()).isEqualTo(TransactionStatus.PENDING);
    }

    @Test
    void aSignerFailureStoresNothingAndLeavesNoGap() {
        RelayerStore store = seeded(0);

        assertThatThrownBy(() -> store.allocate(SENDER, request("a"), T0, nonce -> {
            throw new IllegalStateException("signer down");
        })).hasMessageContaining("signer down");
        StoredTransaction next = store.allocate(SENDER, request("a"), T0, RelayerStoreContract::attempt);

        assertThat(next.nonce()).isZero();
        assertThat(store.find(SENDER, 1)).isEmpty();
    }

    @Test
    void aReferenceNamesOneTransactionAndIsNotSignedTwice() {
        RelayerStore store = seeded(0);
        store.allocate(SENDER, request("a"), T0, RelayerStoreContract::attempt);
        AtomicInteger signed = new AtomicInteger();

        StoredTransaction again = store.allocate(SENDER, request("a"), T0, nonce -> {
            signed.incrementAndGet();
            return attempt(nonce);
        });

        assertThat(again.nonce()).isZero();
        assertThat(signed).hasValue(0);
        assertThat(store.nextNonce(SENDER)).hasValue(1);
        assertThat(store.findByReference(SENDER, "a")).contains(again);
    }

    @Test
    void concurrentAllocationsGetDistinctContiguousNonces() throws Exception {
        RelayerStore store = seeded(100);
        int threads = 8;
        int each = 50;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<Long>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    go.await();
                    List<Long> mine = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        mine.add(store.allocate(SENDER, request(thread + "-" + i), T0, RelayerStoreContract::attempt).nonce());
                    }
                    return mine;
                }));
            }
            go.countDown();
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> f : futures) {
                all.addAll(f.get(60, TimeUnit.SECONDS));
            }
            assertThat(all).doesNotHaveDuplicates().hasSize(threads * each);
            assertThat(all.stream().mapToLong(Long::longValue).min().orElseThrow()).isEqualTo(100);
            assertThat(all.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(100 + threads * each - 1);
            assertThat(store.pending(SENDER, 1_000)).hasSize(threads * each);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void keepsEveryAttemptInOrderAndRefusesOutOfOrderOnes() {
        RelayerStore store = seeded(0);
        store.allocate(SENDER, request("a"), T0, RelayerStoreContract::attempt);

        StoredTransaction withTwo = store.appendAttempt(SENDER, 0, attempt(0, 1, AttemptKind.REPLACEMENT));

        assertThat(withTwo.attempts()).extracting(TransactionAttempt::number).containsExactly(0, 1);
        assertThat(store.find(SENDER, 0).orElseThrow().attempts()).hasSize(2);
        assertThatIllegalStateException().isThrownBy(() -> store.appendAttempt(SENDER, 0, attempt(0, 1, AttemptKind.REPLACEMENT)));
        assertThatIllegalStateException().isThrownBy(() -> store.appendAttempt(SENDER, 9, attempt(9, 1, AttemptKind.REPLACEMENT)));
    }

    @Test
    void resolvesOnceIdempotentlyAndRefusesADifferentEnd() {
        RelayerStore store = seeded(0);
        StoredTransaction tx = store.allocate(SENDER, request("a"), T0, RelayerStoreContract::attempt);
        Inclusion inclusion = new Inclusion(tx.latestAttempt().txHash(), 0, 12, "0x" + "ab".repeat(32), 21_000);

        StoredTransaction mined = store.resolve(SENDER, 0, Resolution.mined(inclusion, true, T0));
        StoredTransaction again = store.resolve(SENDER, 0, Resolution.mined(inclusion, true, T0.plusSeconds(5)));

        assertThat(mined.status()).isEqualTo(TransactionStatus.MINED);
        assertThat(mined.minedTxHash()).contains(tx.latestAttempt().txHash());
        assertThat(again).isEqualTo(mined);
        assertThat(store.pending(SENDER, 10)).isEmpty();
        assertThatIllegalStateException().isThrownBy(
                () -> store.resolve(SENDER, 0, Resolution.consumedElsewhere("someone else", T0)));
        assertThatIllegalStateException().isThrownBy(
                () -> store.appendAttempt(SENDER, 0, attempt(0, 1, AttemptKind.REPLACEMENT)));
    }

    @Test
    void listsPendingTransactionsByNonceUpToTheLimit() {
        RelayerStore store = seeded(0);
        for (int i = 0; i < 5; i++) {
            store.allocate(SENDER, request("r" + i), T0, RelayerStoreContract::attempt);
        }
        store.resolve(SENDER, 1, Resolution.consumedElsewhere("test", T0));

        assertThat(store.pending(SENDER, 3)).extracting(StoredTransaction::nonce).containsExactly(0L, 2L, 3L);
        assertThat(store.pending("0x0000000000000000000000000000000000000001", 3)).isEmpty();
    }

    private RelayerStore seeded(long next) {
        RelayerStore store = emptyStore();
        store.advanceNextNonce(SENDER, next);
        return store;
    }

    private static TransactionRequest request(String reference) {
        return TransactionRequest.transfer(reference, TO, BigInteger.ONE);
    }

    static TransactionAttempt attempt(long nonce) {
        return attempt(nonce, 0, AttemptKind.ORIGINAL);
    }

    private static TransactionAttempt attempt(long nonce, int number, AttemptKind kind) {
        byte[] raw = ("nonce " + nonce + " attempt " + number).getBytes();
        return new TransactionAttempt(number, kind, "0x" + HexFormat.of().formatHex(Hash.sha3(raw)),
                new Fees(BigInteger.valueOf(2_000 + number), BigInteger.valueOf(1 + number)), raw, T0,
                number == 0 ? Optional.empty() : Optional.of("test"));
    }
}

package dev.purser.wallet.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link EncryptedSeedStore} must have. A database implementation extends this
 * class (it is in the wallet's test jar) and provides an empty store.
 */
public abstract class EncryptedSeedStoreContract {

    /** A store that holds no envelope yet. */
    protected abstract EncryptedSeedStore emptyStore();

    @Test
    void anEmptyStoreLoadsNothing() {
        assertThat(emptyStore().load()).isEmpty();
    }

    @Test
    void theFirstEnvelopeSavedWinsAndIsNeverReplaced() {
        EncryptedSeedStore store = emptyStore();
        byte[] first = {1, 2, 3};
        byte[] second = {4, 5, 6};

        assertThat(store.saveIfAbsent(first)).isEqualTo(first);
        assertThat(store.saveIfAbsent(second)).isEqualTo(first);
        assertThat(store.load()).hasValueSatisfying(stored -> assertThat(stored).isEqualTo(first));
    }

    @Test
    void concurrentFirstSavesAgreeOnOneEnvelope() throws Exception {
        EncryptedSeedStore store = emptyStore();
        int writers = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                byte[] mine = {(byte) i, 42};
                results.add(pool.submit(() -> {
                    go.await();
                    return store.saveIfAbsent(mine);
                }));
            }
            go.countDown();
            Set<List<Byte>> seen = new HashSet<>();
            for (Future<byte[]> f : results) {
                byte[] stored = f.get(30, TimeUnit.SECONDS);
                seen.add(List.of(stored[0], stored[1]));
            }
            assertThat(seen).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }
}

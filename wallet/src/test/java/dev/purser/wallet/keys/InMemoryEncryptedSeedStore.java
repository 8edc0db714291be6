package dev.purser.wallet.keys;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An {@link EncryptedSeedStore} in memory, for tests only: the first envelope saved wins, atomically.
 */
public final class InMemoryEncryptedSeedStore implements EncryptedSeedStore {

    private final AtomicReference<byte[]> envelope = new AtomicReference<>();

    @Override
    public Optional<byte[]> load() {
        return Optional.ofNullable(envelope.get()).map(byte[]::clone);
    }

    @Override
    public byte[] saveIfAbsent(byte[] candidate) {
        envelope.compareAndSet(null, candidate.clone());
        return envelope.get().clone();
    }

    @Override
    public String toString() {
        return "InMemoryEncryptedSeedStore[" + (envelope.get() == null ? "empty" : "holds an envelope") + "]";
    }
}

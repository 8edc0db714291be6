package dev.purser.wallet.keys;

import java.util.Optional;

/**
 * Where the deployment's one encrypted wallet seed lives (the service keeps it in PostgreSQL).
 * The store sees only the opaque envelope, never the seed.
 *
 * <p>Contract: {@link #saveIfAbsent(byte[])} is atomic across every process sharing the store:
 * the first envelope written wins forever, and every caller gets back the envelope that is stored
 * (its own or the winner's). A store must never overwrite an envelope: a second seed would derive
 * different wallets and strand the funds of the first.
 */
public interface EncryptedSeedStore {

    /** The stored envelope, or empty if no seed was ever stored. */
    Optional<byte[]> load();

    /**
     * Stores {@code envelope} unless an envelope is already stored.
     *
     * @return the envelope that is stored after the call: {@code envelope} if this call stored it,
     *     otherwise the one stored before
     */
    byte[] saveIfAbsent(byte[] envelope);
}

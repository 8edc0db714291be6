package dev.purser.wallet.keys;

/** How {@link HdWallet#openOrCreate} obtained the seed, so the service can say so loudly. */
public enum SeedOrigin {
    /** The seed was decrypted from the store. */
    LOADED,
    /** This call generated the seed and stored it (it was the first writer). */
    CREATED,
    /** Built from a mnemonic given in code; tests only. */
    GIVEN
}

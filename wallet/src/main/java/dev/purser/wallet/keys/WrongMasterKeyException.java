package dev.purser.wallet.keys;

/**
 * The configured master key is not the one that encrypted the stored wallet seed. The service must
 * refuse to start: carrying on with another key would derive other wallets and silently strand the
 * funds of the real ones.
 */
public final class WrongMasterKeyException extends RuntimeException {

    WrongMasterKeyException() {
        super("the master key does not decrypt the stored wallet seed: PURSER_MASTER_KEY is not the key "
                + "the seed was encrypted with");
    }
}

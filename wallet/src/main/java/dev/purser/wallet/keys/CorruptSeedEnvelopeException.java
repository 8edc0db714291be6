package dev.purser.wallet.keys;

/**
 * The stored wallet seed envelope is damaged or of an unknown format: it cannot be decrypted even
 * though the master key matches (or its header cannot be read). Restore it from a backup; never
 * create a fresh seed over it.
 */
public final class CorruptSeedEnvelopeException extends RuntimeException {

    CorruptSeedEnvelopeException(String message) {
        super(message);
    }
}

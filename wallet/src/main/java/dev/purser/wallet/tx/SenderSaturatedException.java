package dev.purser.wallet.tx;

/**
 * The sender's queue of not-yet-stored requests is full: nothing was stored, send again later.
 * This is back-pressure, not a failure of the chain.
 */
public final class SenderSaturatedException extends RuntimeException {

    SenderSaturatedException(String message) {
        super(message);
    }
}

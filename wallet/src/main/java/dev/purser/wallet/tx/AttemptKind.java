package dev.purser.wallet.tx;

/** Why an attempt at a nonce was signed. */
public enum AttemptKind {
    /** The first signing of the caller's request. */
    ORIGINAL,
    /** The caller's request again, at the same nonce with higher fees, because it did not mine in time. */
    REPLACEMENT,
    /**
     * A zero-value transfer from the relayer to itself at the same nonce: the node kept refusing the
     * request, and the nonce must still be used so that no gap blocks the transactions after it.
     */
    CANCELLATION
}

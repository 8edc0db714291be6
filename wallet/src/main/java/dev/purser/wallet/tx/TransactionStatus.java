package dev.purser.wallet.tx;

/** Where a relayed transaction stands. Every status but {@link #PENDING} is final. */
public enum TransactionStatus {
    /** Signed and stored; not yet seen in a block. */
    PENDING,
    /** One of its attempts was mined and succeeded (receipt status 1). */
    MINED,
    /** One of its attempts was mined and reverted (receipt status 0): the nonce is used, the call had no effect. */
    REVERTED,
    /**
     * The chain used the nonce for a transaction that is none of its attempts (the key was used
     * outside this sender). The request had no effect; the caller decides whether to send it again.
     */
    NONCE_CONSUMED_ELSEWHERE,
    /** The node refused the request, so a cancellation took its nonce; the request had no effect. */
    CANCELED;

    public boolean isFinal() {
        return this != PENDING;
    }
}

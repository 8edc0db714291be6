package dev.purser.wallet.tx;

/**
 * What a sender found when it started.
 *
 * @param nextNonce the store's nonce counter after reconciliation
 * @param chainPendingNonce {@code eth_getTransactionCount(sender, "pending")} at start: the one time
 *     the sender asks the chain for a nonce
 * @param seeded whether the counter was created from the chain (first start of this relayer)
 * @param advancedBy how many nonces the chain had used beyond the counter (the key was used
 *     elsewhere); normally 0
 * @param resumed how many pending transactions were loaded and rebroadcast
 */
public record RecoveryReport(long nextNonce, long chainPendingNonce, boolean seeded, long advancedBy, int resumed) {}

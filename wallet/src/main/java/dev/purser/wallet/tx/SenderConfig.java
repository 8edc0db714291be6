package dev.purser.wallet.tx;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Objects;

/**
 * Limits and timings of a {@link TransactionSender}. Build one with {@link #builder}; every value
 * has a bound, checked here.
 *
 * @param chainId the chain the relayer sends on; checked against the node at start
 * @param fees how transactions are priced, including the fee ceiling
 * @param pollInterval how often receipts, stuck transactions and the queue are looked at
 * @param stuckAfter how long an attempt may stay unmined before it is replaced with higher fees
 * @param rebroadcastInterval how often an unmined attempt is sent again (nodes drop transactions)
 * @param maxAttempts attempts per nonce, the original included; after that the last attempt is only
 *     rebroadcast, never bumped again
 * @param maxInFlight pending (stored, unmined) transactions at most; further requests wait in the queue
 * @param maxQueued requests waiting to be stored at most; beyond it {@code send} throws
 *     {@link SenderSaturatedException}
 * @param maxQueueWait how long a request may wait to be stored (fees above the ceiling, or too many in
 *     flight) before its submission fails
 * @param feeQuoteTtl how long a fee quote from the chain is reused
 * @param receiptBatchSize receipts fetched per JSON-RPC batch and per poll at most
 * @param consumedElsewhereConfirmations consecutive polls that must find a nonce used on chain with no
 *     receipt for any attempt before it is declared consumed elsewhere (guards against a node whose
 *     receipt index lags its state)
 * @param maxRefusalsBeforeCancel consecutive unexplained refusals of an attempt before its nonce is
 *     taken by a cancellation
 * @param maxResumed pending transactions loaded at start at most
 * @param shutdownTimeout how long {@code close()} waits for the sender's thread
 */
public record SenderConfig(
        long chainId,
        FeePolicy fees,
        Duration pollInterval,
        Duration stuckAfter,
        Duration rebroadcastInterval,
        int maxAttempts,
        int maxInFlight,
        int maxQueued,
        Duration maxQueueWait,
        Duration feeQuoteTtl,
        int receiptBatchSize,
        int consumedElsewhereConfirmations,
        int maxRefusalsBeforeCancel,
        int maxResumed,
        Duration shutdownTimeout) {

    public SenderConfig {
        Objects.requireNonNull(fees, "fees");
        if (chainId <= 0) {
            throw new IllegalArgumentException("chain id must be positive, got " + chainId);
        }
        within("pollInterval", pollInterval, Duration.ofMillis(10), Duration.ofMinutes(1));
        within("stuckAfter", stuckAfter, pollInterval, Duration.ofHours(1));
        within("rebroadcastInterval", rebroadcastInterval, pollInterval, Duration.ofHours(1));
        within("maxQueueWait", maxQueueWait, Duration.ZERO, Duration.ofDays(1));
        within("feeQuoteTtl", feeQuoteTtl, Duration.ZERO, Duration.ofMinutes(1));
        within("shutdownTimeout", shutdownTimeout, Duration.ZERO, Duration.ofMinutes(5));
        within("maxAttempts", maxAttempts, 1, StoredTransaction.MAX_ATTEMPTS);
        within("maxInFlight", maxInFlight, 1, 10_000);
        within("maxQueued", maxQueued, 1, 100_000);
        within("receiptBatchSize", receiptBatchSize, 1, 1_000);
        within("consumedElsewhereConfirmations", consumedElsewhereConfirmations, 1, 100);
        within("maxRefusalsBeforeCancel", maxRefusalsBeforeCancel, 1, 1_000);
        within("maxResumed", maxResumed, 1, 100_000);
    }

    /**
     * A builder with defaults suited to Base (2-second blocks): poll every second, replace after
     * 30 s, rebroadcast every 60 s, 6 attempts, 64 in flight, 1,024 queued for at most 10 minutes,
     * base fee × 2 plus the node's tip (fallback 0.001 gwei, at most 2 gwei).
     *
     * @param maxFeePerGasCeilingWei the most ever offered per gas; choose it per chain
     */
    public static Builder builder(long chainId, BigInteger maxFeePerGasCeilingWei) {
        return new Builder(chainId, maxFeePerGasCeilingWei);
    }

    /** Mutable builder of a {@link SenderConfig}; {@link #build()} validates. */
    public static final class Builder {
        private final long chainId;
        private FeePolicy fees;
        private Duration pollInterval = Duration.ofSeconds(1);
        private Duration stuckAfter = Duration.ofSeconds(30);
        private Duration rebroadcastInterval = Duration.ofSeconds(60);
        private int maxAttempts = 6;
        private int maxInFlight = 64;
        private int maxQueued = 1_024;
        private Duration maxQueueWait = Duration.ofMinutes(10);
        private Duration feeQuoteTtl = Duration.ofSeconds(1);
        private int receiptBatchSize = 100;
        private int consumedElsewhereConfirmations = 2;
        private int maxRefusalsBeforeCancel = 3;
        private int maxResumed = 10_000;
        private Duration shutdownTimeout = Duration.ofSeconds(10);

        private Builder(long chainId, BigInteger ceiling) {
            this.chainId = chainId;
            BigInteger tipCap = ceiling.min(BigInteger.valueOf(2_000_000_000L));
            this.fees = new FeePolicy(200, BigInteger.valueOf(1_000_000L).min(tipCap), tipCap, ceiling);
        }

        public Builder fees(FeePolicy value) { this.fees = value; return this; }
        public Builder pollInterval(Duration value) { this.pollInterval = value; return this; }
        public Builder stuckAfter(Duration value) { this.stuckAfter = value; return this; }
        public Builder rebroadcastInterval(Duration value) { this.rebroadcastInterval = value; return this; }
        public Builder maxAttempts(int value) { this.maxAttempts = value; return this; }
        public Builder maxInFlight(int value) { this.maxInFlight = value; return this; }
        public Builder maxQueued(int value) { this.maxQueued = value; return this; }
        public Builder maxQueueWait(Duration value) { this.maxQueueWait = value; return this; }
        public Builder feeQuoteTtl(Duration value) { this.feeQuoteTtl = value; return this; }
        public Builder receiptBatchSize(int value) { this.receiptBatchSize = value; return this; }
        public Builder consumedElsewhereConfirmations(int value) { this.consumedElsewhereConfirmations = value; return this; }
        public Builder maxRefusalsBeforeCancel(int value) { this.maxRefusalsBeforeCancel = value; return this; }
        public Builder maxResumed(int value) { this.maxResumed = value; return this; }
        public Builder shutdownTimeout(Duration value) { this.shutdownTimeout = value; return this; }

        public SenderConfig build() {
            return new SenderConfig(chainId, fees, pollInterval, stuckAfter, rebroadcastInterval, maxAttempts, maxInFlight,
                    maxQueued, maxQueueWait, feeQuoteTtl, receiptBatchSize, consumedElsewhereConfirmations,
                    maxRefusalsBeforeCancel, maxResumed, shutdownTimeout);
        }
    }

    private static void within(String name, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, name);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    private static void within(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
    }
}

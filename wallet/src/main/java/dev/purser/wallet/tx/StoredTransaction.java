package dev.purser.wallet.tx;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A relayed transaction as the {@link RelayerStore} keeps it: the request, its nonce, every attempt
 * signed for that nonce, and how it ended.
 *
 * @param sender the relayer address (EIP-55)
 * @param nonce the nonce allocated to it
 * @param request what the caller asked for
 * @param createdAt when the nonce was allocated
 * @param attempts every attempt, in order; never empty, at most {@link #MAX_ATTEMPTS}
 * @param resolution how it ended; empty while pending
 */
public record StoredTransaction(
        String sender,
        long nonce,
        TransactionRequest request,
        Instant createdAt,
        List<TransactionAttempt> attempts,
        Optional<Resolution> resolution) {

    /** Hard bound on attempts per nonce, whatever the configuration. */
    public static final int MAX_ATTEMPTS = 32;

    public StoredTransaction {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(resolution, "resolution");
        attempts = List.copyOf(attempts);
        if (nonce < 0) {
            throw new IllegalArgumentException("nonce must not be negative, got " + nonce);
        }
        if (attempts.isEmpty() || attempts.size() > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("a transaction has 1 to " + MAX_ATTEMPTS + " attempts, got " + attempts.size());
        }
        for (int i = 0; i < attempts.size(); i++) {
            if (attempts.get(i).number() != i) {
                throw new IllegalArgumentException("attempt " + i + " is numbered " + attempts.get(i).number());
            }
        }
    }

    public TransactionStatus status() {
        return resolution.map(Resolution::status).orElse(TransactionStatus.PENDING);
    }

    public boolean isPending() {
        return resolution.isEmpty();
    }

    /** The most recent attempt: the one to (re)broadcast. */
    public TransactionAttempt latestAttempt() {
        return attempts.get(attempts.size() - 1);
    }

    /** The hash of the mined attempt, if one was mined. */
    public Optional<String> minedTxHash() {
        return resolution.flatMap(Resolution::inclusion).map(Inclusion::txHash);
    }

    /** This transaction with one more attempt (for store implementations). */
    public StoredTransaction withAttempt(TransactionAttempt attempt) {
        List<TransactionAttempt> more = new ArrayList<>(attempts);
        more.add(attempt);
        return new StoredTransaction(sender, nonce, request, createdAt, more, resolution);
    }

    /** This transaction resolved (for store implementations). */
    public StoredTransaction withResolution(Resolution r) {
        return new StoredTransaction(sender, nonce, request, createdAt, attempts, Optional.of(r));
    }
}

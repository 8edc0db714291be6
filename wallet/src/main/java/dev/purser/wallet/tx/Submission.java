package dev.purser.wallet.tx;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What {@link TransactionSender#send} returns at once; no thread waits for mining.
 *
 * @param reference the request's reference
 * @param stored completes when the transaction is signed and stored with its nonce (it will then be
 *     sent even across crashes); fails if it was never stored: the queue wait ran out (fees above
 *     the ceiling for too long), the store failed, the reference was already used for another
 *     request, or the sender closed first. After a failure nothing was stored: send again.
 * @param resolved completes with the transaction once it has a final status (mined, reverted,
 *     nonce consumed elsewhere or canceled); fails if {@code stored} failed, or if the sender closed
 *     before the end (the transaction then stays pending in the store and the next sender resumes it)
 */
public record Submission(
        String reference, CompletableFuture<StoredTransaction> stored, CompletableFuture<StoredTransaction> resolved) {

    public Submission {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(stored, "stored");
        Objects.requireNonNull(resolved, "resolved");
    }
}

package dev.purser.wallet.tx;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Durable state of a relayer's transactions: the nonce counter and every signed attempt. The
 * {@link TransactionSender} calls it from one thread per sender; implementations must still be
 * safe for concurrent use, because several service instances share the database (only one of them
 * owns a sender address at a time, under an advisory lock, but a takeover may overlap briefly).
 *
 * <p>The contract that makes sending crash-safe:
 *
 * <ul>
 *   <li>Nonces are contiguous: {@link #allocate} takes the counter's value, stores the transaction
 *       with its first signed attempt and advances the counter in one atomic operation. If it fails
 *       or the signer throws, nothing is stored and the nonce is not used, so no gap is ever left.</li>
 *   <li>What is stored is final before it is broadcast: the sender broadcasts only bytes that
 *       {@link #allocate} or {@link #appendAttempt} returned, so after any crash every transaction the
 *       chain may know about is in the store and can be rebroadcast byte for byte.</li>
 *   <li>A reference names at most one transaction per sender.</li>
 *   <li>Attempts are only appended, never changed or removed; a resolution is written once.</li>
 * </ul>
 *
 * In PostgreSQL: a {@code relayer_nonce(sender PRIMARY KEY, next_nonce BIGINT)} row locked with
 * {@code SELECT … FOR UPDATE} for {@code allocate}, a {@code relayer_transaction(sender, nonce, reference
 * UNIQUE per sender, …)} table and a {@code relayer_attempt(sender, nonce, number, tx_hash, raw BYTEA,
 * …)} table; {@code InMemoryRelayerStore} is the reference implementation and
 * {@code RelayerStoreContract} (in this module's test jar) the tests an implementation must pass.
 */
public interface RelayerStore {

    /** Signs the first attempt of a transaction once its nonce is known. */
    @FunctionalInterface
    interface FirstAttempt {
        TransactionAttempt sign(long nonce);
    }

    /** The next nonce {@link #allocate} would take for {@code sender}, or empty if never seeded. */
    OptionalLong nextNonce(String sender);

    /**
     * Raises {@code sender}'s counter to at least {@code atLeast}, creating it if absent; never
     * lowers it. Used to seed the counter from the chain on first start and to skip nonces the chain
     * has already used.
     *
     * @return the counter after the call
     */
    long advanceNextNonce(String sender, long atLeast);

    /**
     * Stores a new transaction at the next nonce, atomically: if {@code sender} already has a
     * transaction with {@code request.reference()}, returns it unchanged without calling
     * {@code firstAttempt}; otherwise takes nonce n from the counter, calls
     * {@code firstAttempt.sign(n)}, stores the transaction (pending) with that attempt and sets the
     * counter to n + 1.
     *
     * @throws IllegalStateException if the counter of {@code sender} was never seeded
     */
    StoredTransaction allocate(String sender, TransactionRequest request, Instant createdAt, FirstAttempt firstAttempt);

    /**
     * Appends an attempt (a replacement or cancellation) to a pending transaction.
     *
     * @return the transaction with the new attempt
     * @throws IllegalStateException if the transaction is unknown or resolved, or the attempt's number
     *     is not the number of attempts stored so far
     */
    StoredTransaction appendAttempt(String sender, long nonce, TransactionAttempt attempt);

    /**
     * Records how a transaction ended. Recording the same status and inclusion again is a no-op
     * that returns the stored transaction (a sender that resumes after a crash may find out twice).
     *
     * @throws IllegalStateException if the transaction is unknown or already ended differently
     */
    StoredTransaction resolve(String sender, long nonce, Resolution resolution);

    Optional<StoredTransaction> find(String sender, long nonce);

    Optional<StoredTransaction> findByReference(String sender, String reference);

    /** The pending transactions of {@code sender} by ascending nonce, at most {@code limit}. */
    List<StoredTransaction> pending(String sender, int limit);
}

package dev.purser.wallet.tx;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A {@link RelayerStore} in memory: a complete, thread-safe implementation of the contract (every
 * method is atomic under one lock), for tests, benchmarks and as the reference for a database
 * implementation. It forgets everything when the process ends, so production needs the
 * PostgreSQL one. Holds at most {@link #MAX_TRANSACTIONS_PER_SENDER} transactions per sender.
 */
public final class InMemoryRelayerStore implements RelayerStore {

    /** Bound on retained transactions per sender, so that a long benchmark cannot exhaust the heap. */
    public static final int MAX_TRANSACTIONS_PER_SENDER = 1_000_000;

    private final Map<String, Long> nextNonce = new HashMap<>();
    private final Map<String, NavigableMap<Long, StoredTransaction>> transactions = new HashMap<>();
    private final Map<String, Map<String, Long>> references = new HashMap<>();

    @Override
    public synchronized OptionalLong nextNonce(String sender) {
        Long next = nextNonce.get(key(sender));
        return next == null ? OptionalLong.empty() : OptionalLong.of(next);
    }

    @Override
    public synchronized long advanceNextNonce(String sender, long atLeast) {
        if (atLeast < 0) {
            throw new IllegalArgumentException("a nonce is never negative, got " + atLeast);
        }
        return nextNonce.merge(key(sender), atLeast, Math::max);
    }

    @Override
    public synchronized StoredTransaction allocate(
            String sender, TransactionRequest request, Instant createdAt, FirstAttempt firstAttempt) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(firstAttempt, "firstAttempt");
        String key = key(sender);
        Long existing = references.computeIfAbsent(key, k -> new HashMap<>()).get(request.reference());
        if (existing != null) {
            return transactions.get(key).get(existing);
        }
        Long nonce = nextNonce.get(key);
        if (nonce == null) {
            throw new IllegalStateException("the nonce counter of " + sender + " was never seeded");
        }
        NavigableMap<Long, StoredTransaction> ofSender = transactions.computeIfAbsent(key, k -> new TreeMap<>());
        if (ofSender.size() >= MAX_TRANSACTIONS_PER_SENDER) {
            throw new IllegalStateException("the in-memory store holds " + MAX_TRANSACTIONS_PER_SENDER
                    + " transactions of " + sender + ", its limit");
        }
        // Signing inside the lock is what makes allocation and storage one step: if it throws,
        // nothing below runs and the nonce stays free.
        TransactionAttempt first = firstAttempt.sign(nonce);
        if (first.number() != 0) {
            throw new IllegalArgumentException("the first attempt must be number 0");
        }
        StoredTransaction stored = new StoredTransaction(sender, nonce, request, createdAt, List.of(first), Optional.empty());
        ofSender.put(nonce, stored);
        references.get(key).put(request.reference(), nonce);
        nextNonce.put(key, nonce + 1);
        return stored;
    }

    @Override
    public synchronized StoredTransaction appendAttempt(String sender, long nonce, TransactionAttempt attempt) {
        StoredTransaction current = require(sender, nonce);
        if (!current.isPending()) {
            throw new IllegalStateException("transaction " + nonce + " of " + sender + " already ended as " + current.status());
        }
        if (attempt.number() != current.attempts().size()) {
            throw new IllegalStateException("attempt " + attempt.number() + " does not follow the "
                    + current.attempts().size() + " stored for nonce " + nonce);
        }
        StoredTransaction updated = current.withAttempt(attempt);
        transactions.get(key(sender)).put(nonce, updated);
        return updated;
    }

    @Override
    public synchronized StoredTransaction resolve(String sender, long nonce, Resolution resolution) {
        Objects.requireNonNull(resolution, "resolution");
        StoredTransaction current = require(sender, nonce);
        if (current.resolution().isPresent()) {
            Resolution stored = current.resolution().get();
            if (stored.status() == resolution.status() && stored.inclusion().equals(resolution.inclusion())) {
                return current;
            }
            throw new IllegalStateException("transaction " + nonce + " of " + sender + " already ended as "
                    + stored.status() + "; refusing " + resolution.status());
        }
        StoredTransaction updated = current.withResolution(resolution);
        transactions.get(key(sender)).put(nonce, updated);
        return updated;
    }

    @Override
    public synchronized Optional<StoredTransaction> find(String sender, long nonce) {
        return Optional.ofNullable(transactions.getOrDefault(key(sender), new TreeMap<>()).get(nonce));
    }

    @Override
    public synchronized Optional<StoredTransaction> findByReference(String sender, String reference) {
        Long nonce = references.getOrDefault(key(sender), Map.of()).get(reference);
        return nonce == null ? Optional.empty() : find(sender, nonce);
    }

    @Override
    public synchronized List<StoredTransaction> pending(String sender, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        return transactions.getOrDefault(key(sender), new TreeMap<>()).values().stream()
                .filter(StoredTransaction::isPending)
                .limit(limit)
                .toList();
    }

    private StoredTransaction require(String sender, long nonce) {
        StoredTransaction current = transactions.getOrDefault(key(sender), new TreeMap<>()).get(nonce);
        if (current == null) {
            throw new IllegalStateException("no transaction " + nonce + " of " + sender);
        }
        return current;
    }

    // Addresses compare case-insensitively: a checksummed and a lowercase spelling are one sender.
    private static String key(String sender) {
        return Objects.requireNonNull(sender, "sender").toLowerCase(Locale.ROOT);
    }
}

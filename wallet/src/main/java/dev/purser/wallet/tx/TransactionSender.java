package dev.purser.wallet.tx;

import dev.purser.wallet.keys.Signer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.BatchRequest;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.response.EthGetTransactionCount;
import org.web3j.protocol.core.methods.response.EthGetTransactionReceipt;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * The relayer's transaction sender: EIP-1559 transactions with a persisted, gap-free nonce,
 * stored before they are broadcast, rebroadcast after a restart, replaced with higher fees when
 * stuck, and followed to a receipt without blocking any caller.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #send} returns at once. A request waits in a bounded queue until one engine thread
 *       prices it, allocates its nonce, signs and stores it in one {@link RelayerStore#allocate} call,
 *       and only then broadcasts it. The nonce comes from the store's counter; the chain is asked
 *       for a nonce only at {@link #start} (to seed or reconcile the counter).</li>
 *   <li>Fees: {@link FeePolicy}. Nothing is signed above the ceiling; requests wait instead (at most
 *       {@link SenderConfig#maxQueueWait()}).</li>
 *   <li>An attempt unmined after {@link SenderConfig#stuckAfter()} is replaced at the same nonce with
 *       both fee fields raised by at least 12.5 %; the replacement is stored before it is
 *       broadcast. Receipts of every attempt are checked, and whichever attempt mined is recorded.</li>
 *   <li>A nonce the chain used for a transaction that is none of ours is resolved
 *       {@link TransactionStatus#NONCE_CONSUMED_ELSEWHERE}; a request the node keeps refusing has its
 *       nonce taken by a {@link AttemptKind#CANCELLATION} so that no gap blocks later nonces.</li>
 *   <li>At {@link #start}, every pending transaction in the store is rebroadcast byte for byte;
 *       "already known" and "nonce too low" answers are expected and handled.</li>
 *   <li>A transaction recorded as mined that the chain later forgets (a reorg) is sent again, byte
 *       for byte, once the nonces after it stall behind the gap. Its recorded block stays as first
 *       seen: following reorgs is the indexer's job.</li>
 * </ul>
 *
 * <p>Exactly one sender may run per relayer address at a time (the service holds an advisory
 * lock). All chain and store work happens on the sender's one engine thread, which also bounds its
 * load on the node: one {@code eth_getTransactionCount(latest)} per poll while anything is in
 * flight, receipts in JSON-RPC batches, and one latest-block read per fee-quote lifetime. HTTP
 * timeouts are those of the given {@link Web3j}.
 */
public final class TransactionSender implements AutoCloseable {

    private enum State { RUNNING, CLOSED, HALTED }

    private record Queued(
            TransactionRequest request,
            CompletableFuture<StoredTransaction> stored,
            CompletableFuture<StoredTransaction> resolved,
            Instant enqueuedAt) {}

    /** What the engine knows about a pending transaction beyond the store. Engine thread only. */
    private static final class Tracked {
        StoredTransaction tx;
        Instant latestSince;
        Instant lastBroadcastAt = Instant.EPOCH;
        boolean unreachable;
        int refusals;
        int consumedObservations;
        boolean ceilingLogged;
        final List<CompletableFuture<StoredTransaction>> listeners = new ArrayList<>(1);

        Tracked(StoredTransaction tx, Instant since) {
            this.tx = tx;
            this.latestSince = since;
        }

        long nonce() {
            return tx.nonce();
        }
    }

    private static final Logger log = LoggerFactory.getLogger(TransactionSender.class);
    private static final long CANCELLATION_GAS = 21_000;
    private static final int MAX_LISTENERS_PER_TRANSACTION = 1_000;
    private static final int CALLBACK_QUEUE = 10_000;

    private final SenderConfig config;
    private final Web3j web3j;
    private final Signer signer;
    private final String relayer;
    private final RelayerStore store;
    private final Broadcaster broadcaster;
    private final Clock clock;
    private final FeeOracle oracle;
    private final ScheduledThreadPoolExecutor engine;
    private final ThreadPoolExecutor callbacks;
    private final ArrayBlockingQueue<Queued> queue;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final AtomicReference<State> state = new AtomicReference<>(State.RUNNING);
    private volatile int inFlight;
    private volatile RecoveryReport recovery;

    // Owned by the engine thread.
    private final NavigableMap<Long, Tracked> tracked = new TreeMap<>();
    private String waitingBecause = "";
    // The request being stored right now: neither queued nor tracked, so a halt must fail it itself.
    private Queued admitting;
    private boolean ceilingWarned;
    private Instant nextGapRepair = Instant.EPOCH;

    private TransactionSender(
            SenderConfig config, Web3j web3j, Signer signer, RelayerStore store, Broadcaster broadcaster, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.web3j = Objects.requireNonNull(web3j, "web3j");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.store = Objects.requireNonNull(store, "store");
        this.broadcaster = Objects.requireNonNull(broadcaster, "broadcaster");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.relayer = signer.address();
        this.oracle = new FeeOracle(web3j, clock, config.feeQuoteTtl());
        this.queue = new ArrayBlockingQueue<>(config.maxQueued());
        String shortName = relayer.substring(0, 10);
        this.engine = new ScheduledThreadPoolExecutor(1, daemon("purser-relayer-" + shortName));
        this.engine.setRemoveOnCancelPolicy(true);
        // Callers' continuations run here, never on the engine, so a slow callback cannot stall
        // sending; when its bounded queue is full the engine runs them itself rather than drop them.
        this.callbacks = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(CALLBACK_QUEUE),
                daemon("purser-relayer-callbacks-" + shortName), new ThreadPoolExecutor.CallerRunsPolicy());
    }

    /**
     * Starts a sender over the real network: {@link Web3jBroadcaster} and the system clock.
     *
     * @see #start(SenderConfig, Web3j, Signer, RelayerStore, Broadcaster, Clock)
     */
    public static TransactionSender start(SenderConfig config, Web3j web3j, Signer relayer, RelayerStore store) {
        return start(config, web3j, relayer, store, new Web3jBroadcaster(web3j), Clock.systemUTC());
    }

    /**
     * Starts a sender for {@code relayer}: checks the node's chain id, seeds the store's nonce
     * counter from {@code eth_getTransactionCount(pending)} on the relayer's first start (or raises
     * it if the chain is ahead), loads up to {@link SenderConfig#maxResumed()} pending transactions
     * and rebroadcasts each one's latest attempt byte for byte, then begins polling.
     *
     * @throws IllegalStateException if the node is on another chain
     * @throws UncheckedIOException if the node cannot be reached
     */
    public static TransactionSender start(
            SenderConfig config, Web3j web3j, Signer relayer, RelayerStore store, Broadcaster broadcaster, Clock clock) {
        TransactionSender sender = new TransactionSender(config, web3j, relayer, store, broadcaster, clock);
        try {
            // Recovery runs on the caller's thread before the engine has any task, so the engine
            // later sees its state through the executor's happens-before edge.
            sender.recovery = sender.recover();
            sender.updateGauges();
            long pollMillis = config.pollInterval().toMillis();
            sender.engine.scheduleWithFixedDelay(sender.guarded(sender::poll), pollMillis, pollMillis, TimeUnit.MILLISECONDS);
            return sender;
        } catch (IOException e) {
            sender.shutdownExecutors();
            throw new UncheckedIOException("relayer " + relayer.address() + " could not start: the node is unreachable", e);
        } catch (RuntimeException | Error e) {
            sender.shutdownExecutors();
            throw e;
        }
    }

    /** What {@link #start} found and did. */
    public RecoveryReport recovery() {
        return recovery;
    }

    /** The relayer's address. */
    public String relayer() {
        return relayer;
    }

    /** A snapshot for health checks and metrics. */
    public SenderStatus status() {
        return new SenderStatus(relayer, queue.size(), inFlight, state.get() == State.RUNNING);
    }

    /**
     * Queues {@code request} for sending and returns at once. A request whose reference this
     * relayer has already stored yields the stored transaction again (and is refused if it differs).
     *
     * @throws SenderSaturatedException if {@link SenderConfig#maxQueued()} requests are already waiting
     * @throws IllegalStateException if the sender is closed or halted
     */
    public Submission send(TransactionRequest request) {
        Objects.requireNonNull(request, "request");
        requireRunning();
        Queued queued = new Queued(request, new CompletableFuture<>(), new CompletableFuture<>(), clock.instant());
        if (!queue.offer(queued)) {
            throw new SenderSaturatedException("relayer " + relayer + " already has " + config.maxQueued()
                    + " requests waiting to be stored; nothing was stored, send again later");
        }
        scheduleDrain();
        return new Submission(request.reference(), queued.stored().copy(), queued.resolved().copy());
    }

    /**
     * The final state of the transaction at {@code nonce}: completes when it resolves (at once if it
     * already has). Fails if the store has no such transaction, or it is pending but not followed by
     * this sender (more than {@link SenderConfig#maxResumed()} were pending at start).
     */
    public CompletableFuture<StoredTransaction> outcome(long nonce) {
        CompletableFuture<StoredTransaction> result = new CompletableFuture<>();
        try {
            engine.execute(guarded(() -> {
                Tracked t = tracked.get(nonce);
                if (t != null) {
                    listen(t, result);
                    return;
                }
                Optional<StoredTransaction> stored = store.find(relayer, nonce);
                if (stored.isPresent() && !stored.get().isPending()) {
                    complete(result, stored.get());
                } else {
                    result.completeExceptionally(new IllegalStateException(stored.isEmpty()
                            ? "relayer " + relayer + " has no transaction at nonce " + nonce
                            : "nonce " + nonce + " of " + relayer + " is pending but not followed by this sender"));
                }
            }));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the sender of " + relayer + " is not running"));
        }
        return result.copy();
    }

    /**
     * Stops the sender: no more requests are accepted, the engine finishes its current step, queued
     * requests that were never stored fail (nothing of them was stored), and the {@code resolved}
     * futures of pending transactions fail; those transactions stay pending in the store and the
     * next sender over it resumes them.
     */
    @Override
    public void close() {
        if (!state.compareAndSet(State.RUNNING, State.CLOSED)) {
            return;
        }
        engine.shutdown();
        boolean stopped = awaitTermination(engine, config.shutdownTimeout());
        if (!stopped) {
            log.warn("relayer {}: the engine did not stop within {}; interrupting it", relayer, config.shutdownTimeout());
            engine.shutdownNow();
            stopped = awaitTermination(engine, config.shutdownTimeout());
        }
        IllegalStateException notStored = new IllegalStateException(
                "the sender of " + relayer + " closed before the request was stored; nothing was stored");
        for (Queued q; (q = queue.poll()) != null; ) {
            q.stored().completeExceptionally(notStored);
            q.resolved().completeExceptionally(notStored);
        }
        if (stopped) {
            for (Tracked t : tracked.values()) {
                IllegalStateException open = new IllegalStateException("the sender of " + relayer + " closed before nonce "
                        + t.nonce() + " was resolved; it stays pending in the store and the next sender resumes it");
                t.listeners.forEach(f -> f.completeExceptionally(open));
            }
        }
        callbacks.shutdown();
        awaitTermination(callbacks, config.shutdownTimeout());
        inFlight = 0;
        log.info("relayer {}: sender closed", relayer);
    }

    // ---- start-up ----

    private RecoveryReport recover() throws IOException {
        long nodeChainId = web3j.ethChainId().send().getChainId().longValueExact();
        if (nodeChainId != config.chainId()) {
            throw new IllegalStateException("the node is on chain " + nodeChainId + ", the sender is configured for chain "
                    + config.chainId());
        }
        // Fails fast on a chain without EIP-1559 rather than at the first send.
        oracle.market();
        long chainPending = transactionCount(DefaultBlockParameterName.PENDING);
        OptionalLong counter = store.nextNonce(relayer);
        long next = store.advanceNextNonce(relayer, chainPending);
        long advancedBy = counter.isPresent() ? next - counter.getAsLong() : 0;
        if (counter.isEmpty()) {
            log.info("relayer {}: first start; nonce counter seeded from the chain at {}", relayer, next);
        } else if (advancedBy > 0) {
            log.warn("relayer {}: the chain has used {} nonce(s) beyond the store's counter ({} -> {}); the key was "
                    + "used outside this sender", relayer, advancedBy, counter.getAsLong(), next);
        }
        List<StoredTransaction> pending = store.pending(relayer, config.maxResumed());
        if (pending.size() == config.maxResumed()) {
            log.warn("relayer {}: {} pending transactions loaded, the maxResumed limit; later ones wait for a restart",
                    relayer, pending.size());
        }
        Instant now = clock.instant();
        for (StoredTransaction tx : pending) {
            Tracked t = new Tracked(tx, now);
            tracked.put(tx.nonce(), t);
            broadcastLatest(t);
        }
        log.info("relayer {}: resumed {} pending transaction(s); next nonce {}", relayer, pending.size(), next);
        return new RecoveryReport(next, chainPending, counter.isEmpty(), advancedBy, pending.size());
    }

    // ---- the engine's steps ----

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                engine.execute(guarded(this::drain));
            } catch (RejectedExecutionException e) {
                drainScheduled.set(false);
            }
        }
    }

    /** Stores and broadcasts queued requests while fees and the in-flight limit allow. */
    private void drain() {
        drainScheduled.set(false);
        expireQueued();
        while (state.get() == State.RUNNING && !queue.isEmpty()) {
            if (tracked.size() >= config.maxInFlight()) {
                waitingBecause = config.maxInFlight() + " transactions are in flight";
                break;
            }
            Optional<Fees> fees = offer();
            if (fees.isEmpty()) {
                break;
            }
            Queued next = queue.poll();
            if (next == null) {
                break;
            }
            admitting = next;
            admit(next, fees.get());
        }
        updateGauges();
    }

    private void admit(Queued queued, Fees fees) {
        TransactionRequest request = queued.request();
        boolean[] signedNow = {false};
        StoredTransaction stored;
        try {
            stored = store.allocate(relayer, request, clock.instant(), nonce -> {
                signedNow[0] = true;
                return sign(nonce, request.to(), request.valueWei(), request.data(), request.gasLimit(), fees, 0,
                        AttemptKind.ORIGINAL, Optional.empty());
            });
        } catch (RuntimeException e) {
            admitting = null;
            log.warn("relayer {}: could not store {}: {}", relayer, request.reference(), e.toString());
            fail(queued, e);
            return;
        }
        // From here the request's futures are completed by the normal path, never by a halt.
        admitting = null;
        if (!signedNow[0] && !stored.request().equals(request)) {
            fail(queued, new IllegalArgumentException("reference " + request.reference()
                    + " was already used for another request (nonce " + stored.nonce() + "); nothing was sent"));
            return;
        }
        complete(queued.stored(), stored);
        if (!stored.isPending()) {
            complete(queued.resolved(), stored);
            return;
        }
        Tracked t = tracked.get(stored.nonce());
        boolean fresh = t == null;
        if (fresh) {
            t = new Tracked(stored, clock.instant());
            tracked.put(stored.nonce(), t);
        }
        // Listening before broadcasting: whatever the broadcast does, the caller hears the end.
        listen(t, queued.resolved());
        if (fresh) {
            log.debug("relayer {}: nonce {} stored for {} ({})", relayer, stored.nonce(), request.reference(),
                    stored.latestAttempt().txHash());
            broadcastLatest(t);
        }
    }

    /** One poll: resolve what mined, replace or rebroadcast what did not, then admit more. */
    private void poll() {
        if (!tracked.isEmpty()) {
            long chainNonce;
            try {
                chainNonce = transactionCount(DefaultBlockParameterName.LATEST);
            } catch (IOException e) {
                log.warn("relayer {}: cannot read the chain's nonce ({}); retrying", relayer, e.toString());
                return;
            }
            resolveMined(chainNonce);
            repairGapBelow(chainNonce);
            tendUnmined(chainNonce);
        }
        drain();
    }

    /** Nonces below the chain's count are used: find which attempt mined, or that none did. */
    private void resolveMined(long chainNonce) {
        List<Tracked> candidates = new ArrayList<>();
        List<String> hashes = new ArrayList<>();
        for (Tracked t : tracked.headMap(chainNonce, false).values()) {
            if (!candidates.isEmpty() && hashes.size() + t.tx.attempts().size() > config.receiptBatchSize()) {
                break;
            }
            candidates.add(t);
            t.tx.attempts().forEach(a -> hashes.add(a.txHash()));
        }
        if (candidates.isEmpty()) {
            return;
        }
        Map<String, TransactionReceipt> receipts;
        try {
            receipts = receipts(hashes);
        } catch (IOException e) {
            log.warn("relayer {}: cannot fetch receipts ({}); retrying", relayer, e.toString());
            return;
        }
        Instant now = clock.instant();
        for (Tracked t : candidates) {
            Optional<TransactionAttempt> mined = t.tx.attempts().stream()
                    .filter(a -> receipts.containsKey(a.txHash()))
                    .findFirst();
            if (mined.isPresent()) {
                resolve(t, resolutionOf(mined.get(), receipts.get(mined.get().txHash()), now));
                continue;
            }
            t.consumedObservations++;
            if (t.consumedObservations >= config.consumedElsewhereConfirmations()) {
                resolve(t, Resolution.consumedElsewhere("the chain used nonce " + t.nonce() + " of " + relayer
                        + " for a transaction that is none of its " + t.tx.attempts().size()
                        + " attempt(s): the key was used outside this sender", now));
                store.advanceNextNonce(relayer, chainNonce);
            }
        }
    }

    /**
     * A chain nonce below every tracked nonce means the chain forgot a transaction this sender saw
     * mined (a reorg dropped it): every later nonce waits behind the gap. The mined attempt's bytes
     * are in the store, so they are sent again; if the transaction is still mined after all, the
     * node just answers "nonce too low".
     */
    private void repairGapBelow(long chainNonce) {
        if (tracked.isEmpty() || tracked.firstKey() <= chainNonce) {
            return;
        }
        Instant now = clock.instant();
        Tracked first = tracked.firstEntry().getValue();
        if (now.isBefore(first.latestSince.plus(config.stuckAfter())) || now.isBefore(nextGapRepair)) {
            return;
        }
        nextGapRepair = now.plus(config.rebroadcastInterval());
        long end = Math.min(first.nonce(), chainNonce + config.receiptBatchSize());
        for (long nonce = chainNonce; nonce < end; nonce++) {
            Optional<StoredTransaction> stored = store.find(relayer, nonce);
            Optional<TransactionAttempt> mined = stored.flatMap(tx -> tx.resolution()
                    .flatMap(Resolution::inclusion)
                    .map(inclusion -> tx.attempts().get(inclusion.attemptNumber())));
            if (mined.isEmpty()) {
                log.error("relayer {}: nonce {} is unused on chain and blocks nonce {} onwards, and the store has no mined "
                        + "attempt to send again ({}); an operator must fill it", relayer, nonce, first.nonce(),
                        stored.map(tx -> tx.status().toString()).orElse("unknown to this sender"));
                return;
            }
            log.warn("relayer {}: nonce {} was mined but the chain no longer has it (reorg?); sending {} again",
                    relayer, nonce, mined.get().txHash());
            try {
                BroadcastResult result = broadcaster.broadcast(mined.get().signedRaw());
                log.info("relayer {}: re-sent nonce {}: {}", relayer, nonce, result);
            } catch (IOException | RuntimeException e) {
                log.warn("relayer {}: could not re-send nonce {} ({}); retrying later", relayer, nonce, e.toString());
                return;
            }
        }
    }

    /** Nonces at or above the chain's count are unmined: replace the stuck ones, rebroadcast the rest. */
    private void tendUnmined(long chainNonce) {
        Instant now = clock.instant();
        List<Tracked> unmined = new ArrayList<>(tracked.tailMap(chainNonce, true).values());
        boolean anyStuck = unmined.stream().anyMatch(t -> isStuck(t, now));
        // The market is read only when something may need a replacement, to spare the node.
        Optional<Fees> market = anyStuck ? offer() : Optional.empty();
        for (Tracked t : unmined) {
            t.consumedObservations = 0;
            if (isStuck(t, now)) {
                TransactionAttempt latest = t.tx.latestAttempt();
                boolean headOfLine = t.nonce() == chainNonce;
                boolean belowMarket = market.isPresent() && !latest.fees().atLeast(market.get());
                // Only the next nonce to mine, or one priced below today's market, is worth a bump:
                // a later nonce is usually stuck only behind it.
                if ((headOfLine || belowMarket) && replace(t, market, "not mined "
                        + Duration.between(t.latestSince, now).toSeconds() + " s after attempt " + latest.number())) {
                    continue;
                }
            }
            if (t.unreachable || !now.isBefore(t.lastBroadcastAt.plus(config.rebroadcastInterval()))) {
                broadcastLatest(t);
            }
        }
    }

    private boolean isStuck(Tracked t, Instant now) {
        return !now.isBefore(t.latestSince.plus(config.stuckAfter())) && t.tx.attempts().size() < config.maxAttempts();
    }

    private boolean replace(Tracked t, Optional<Fees> market, String reason) {
        TransactionAttempt latest = t.tx.latestAttempt();
        Optional<Fees> fees = config.fees().bump(latest.fees(), market);
        if (fees.isEmpty()) {
            if (!t.ceilingLogged) {
                log.warn("relayer {}: nonce {} is stuck but a replacement above {} wei would exceed the fee ceiling; "
                        + "waiting", relayer, t.nonce(), latest.fees().maxFeePerGas());
                t.ceilingLogged = true;
            }
            return false;
        }
        boolean cancellation = latest.kind() == AttemptKind.CANCELLATION;
        return appendAndBroadcast(t, fees.get(), cancellation ? AttemptKind.CANCELLATION : AttemptKind.REPLACEMENT,
                cancellation ? latest.reason().orElse(reason) : reason);
    }

    /** Takes the nonce with a zero-value self-transfer, because the node will never take the request. */
    private void cancel(Tracked t, String reason) {
        if (t.tx.attempts().size() >= StoredTransaction.MAX_ATTEMPTS) {
            log.error("relayer {}: nonce {} is refused by the node and has no attempts left; later nonces are blocked "
                    + "until an operator acts", relayer, t.nonce());
            return;
        }
        Optional<Fees> market = offer();
        Optional<Fees> fees = config.fees().bump(t.tx.latestAttempt().fees(), market).or(() -> market);
        if (fees.isEmpty()) {
            log.warn("relayer {}: nonce {} needs a cancellation but fees are above the ceiling; waiting", relayer, t.nonce());
            return;
        }
        log.warn("relayer {}: cancelling nonce {} ({}): {}", relayer, t.nonce(), t.tx.request().reference(), reason);
        appendAndBroadcast(t, fees.get(), AttemptKind.CANCELLATION, "canceled: " + reason);
    }

    private boolean appendAndBroadcast(Tracked t, Fees fees, AttemptKind kind, String reason) {
        TransactionRequest request = t.tx.request();
        TransactionAttempt attempt = kind == AttemptKind.CANCELLATION
                ? sign(t.nonce(), relayer, BigInteger.ZERO, "0x", CANCELLATION_GAS, fees, t.tx.attempts().size(), kind,
                        Optional.of(reason))
                : sign(t.nonce(), request.to(), request.valueWei(), request.data(), request.gasLimit(), fees,
                        t.tx.attempts().size(), kind, Optional.of(reason));
        TransactionAttempt previous = t.tx.latestAttempt();
        try {
            // Stored first: if the process dies after the broadcast, the replacement is what the
            // chain may mine, so the store must already know its hash.
            t.tx = store.appendAttempt(relayer, t.nonce(), attempt);
        } catch (RuntimeException e) {
            log.error("relayer {}: could not store attempt {} of nonce {}: {}", relayer, attempt.number(), t.nonce(),
                    e.toString());
            return false;
        }
        t.latestSince = clock.instant();
        t.refusals = 0;
        t.ceilingLogged = false;
        log.info("relayer {}: nonce {} attempt {} ({}): maxFeePerGas {} -> {}, maxPriorityFeePerGas {} -> {}; {}",
                relayer, t.nonce(), attempt.number(), kind, previous.fees().maxFeePerGas(), fees.maxFeePerGas(),
                previous.fees().maxPriorityFeePerGas(), fees.maxPriorityFeePerGas(), reason);
        broadcastLatest(t);
        return true;
    }

    private void broadcastLatest(Tracked t) {
        TransactionAttempt attempt = t.tx.latestAttempt();
        t.lastBroadcastAt = clock.instant();
        BroadcastResult result;
        try {
            result = broadcaster.broadcast(attempt.signedRaw());
        } catch (IOException | RuntimeException e) {
            // Transport trouble (web3j reports some of it unchecked): retried at the next poll.
            t.unreachable = true;
            log.warn("relayer {}: could not broadcast nonce {} ({}); retrying", relayer, t.nonce(), e.toString());
            return;
        }
        t.unreachable = false;
        switch (result) {
            case BroadcastResult.Accepted accepted -> {
                t.refusals = 0;
                log.debug("relayer {}: broadcast nonce {} attempt {} {}", relayer, t.nonce(), attempt.number(),
                        attempt.txHash());
            }
            case BroadcastResult.Rejected rejected -> onRefusal(t, attempt, rejected.message());
        }
    }

    private void onRefusal(Tracked t, TransactionAttempt attempt, String message) {
        NodeRefusal refusal = NodeRefusal.of(message);
        // Some nodes answer a resend of a transaction they already hold with "underpriced" (Ganache
        // does) or an unfamiliar message; asking for the transaction tells that apart from a real refusal.
        if (refusal != NodeRefusal.ALREADY_KNOWN && refusal != NodeRefusal.NONCE_TOO_LOW && nodeHolds(attempt)) {
            refusal = NodeRefusal.ALREADY_KNOWN;
        }
        switch (refusal) {
            case ALREADY_KNOWN, REPLACEMENT_UNDERPRICED -> {
                t.refusals = 0;
                log.debug("relayer {}: node already holds nonce {} ({})", relayer, t.nonce(), message);
            }
            case NONCE_TOO_LOW -> {
                t.refusals = 0;
                log.info("relayer {}: node says nonce {} is used ({}); the receipts will tell whether by us",
                        relayer, t.nonce(), message);
            }
            case FEES_TOO_LOW -> log.info("relayer {}: node refused nonce {} attempt {} as underpriced ({}); it will be "
                    + "replaced after {}", relayer, t.nonce(), attempt.number(), message, config.stuckAfter());
            case INSUFFICIENT_FUNDS -> log.warn("relayer {} cannot pay for nonce {} ({}): fund the relayer with ETH",
                    relayer, t.nonce(), message);
            case OTHER -> {
                t.refusals++;
                log.warn("relayer {}: node refused nonce {} attempt {} ({} time(s)): {}", relayer, t.nonce(),
                        attempt.number(), t.refusals, message);
                if (attempt.kind() != AttemptKind.CANCELLATION && t.refusals >= config.maxRefusalsBeforeCancel()) {
                    cancel(t, "the node refused it " + t.refusals + " times: " + message);
                }
            }
        }
    }

    private boolean nodeHolds(TransactionAttempt attempt) {
        try {
            return web3j.ethGetTransactionByHash(attempt.txHash()).send().getTransaction().isPresent();
        } catch (IOException | RuntimeException e) {
            // Unknown is treated as "not held": the refusal is then handled on its own terms.
            return false;
        }
    }

    private void resolve(Tracked t, Resolution resolution) {
        StoredTransaction resolved;
        try {
            resolved = store.resolve(relayer, t.nonce(), resolution);
        } catch (RuntimeException e) {
            log.error("relayer {}: could not record the end of nonce {}: {}", relayer, t.nonce(), e.toString());
            return;
        }
        tracked.remove(t.nonce());
        if (resolution.status() == TransactionStatus.MINED) {
            log.debug("relayer {}: nonce {} mined as {} in block {}", relayer, t.nonce(), resolved.minedTxHash().orElse("?"),
                    resolution.inclusion().map(Inclusion::blockNumber).orElse(-1L));
        } else {
            log.warn("relayer {}: nonce {} ({}) ended {}{}", relayer, t.nonce(), resolved.request().reference(),
                    resolution.status(), resolution.reason().map(r -> ": " + r).orElse(""));
        }
        t.listeners.forEach(f -> complete(f, resolved));
        updateGauges();
    }

    private Resolution resolutionOf(TransactionAttempt attempt, TransactionReceipt receipt, Instant now) {
        Inclusion inclusion = new Inclusion(attempt.txHash(), attempt.number(), receipt.getBlockNumber().longValueExact(),
                receipt.getBlockHash(), receipt.getGasUsed().longValueExact());
        if (attempt.kind() == AttemptKind.CANCELLATION) {
            return Resolution.canceled(inclusion, attempt.reason().orElse("canceled"), now);
        }
        return Resolution.mined(inclusion, receipt.isStatusOK(), now);
    }

    // ---- helpers ----

    private TransactionAttempt sign(long nonce, String to, BigInteger valueWei, String data, long gasLimit, Fees fees,
            int number, AttemptKind kind, Optional<String> reason) {
        RawTransaction raw = RawTransaction.createTransaction(config.chainId(), BigInteger.valueOf(nonce),
                BigInteger.valueOf(gasLimit), to, valueWei, data, fees.maxPriorityFeePerGas(), fees.maxFeePerGas());
        byte[] signed = signer.signTransaction(raw, config.chainId());
        return new TransactionAttempt(number, kind, Numeric.toHexString(Hash.sha3(signed)), fees, signed, clock.instant(),
                reason);
    }

    /** The fees to offer now, or empty when the node is unreachable or the offer exceeds the ceiling. */
    private Optional<Fees> offer() {
        FeeOracle.Market market;
        try {
            market = oracle.market();
        } catch (IOException e) {
            waitingBecause = "the node is unreachable (" + e.getMessage() + ")";
            log.warn("relayer {}: cannot read fees from the node ({}); waiting", relayer, e.toString());
            return Optional.empty();
        }
        Optional<Fees> fees = config.fees().offer(market.baseFeeWei(), market.suggestedPriorityFeeWei());
        if (fees.isEmpty()) {
            waitingBecause = "fees are above the ceiling (base fee " + market.baseFeeWei() + " wei, ceiling "
                    + config.fees().maxFeePerGasCeilingWei() + " wei)";
            if (!ceilingWarned) {
                log.warn("relayer {}: {}; not sending until they fall", relayer, waitingBecause);
                ceilingWarned = true;
            }
        } else if (ceilingWarned) {
            log.info("relayer {}: fees are back under the ceiling; sending again", relayer);
            ceilingWarned = false;
        }
        return fees;
    }

    private void expireQueued() {
        Instant cutoff = clock.instant().minus(config.maxQueueWait());
        String why = waitingBecause;
        queue.removeIf(q -> {
            if (!q.enqueuedAt().isBefore(cutoff)) {
                return false;
            }
            TimeoutException expired = new TimeoutException("request " + q.request().reference() + " was not stored within "
                    + config.maxQueueWait() + (why.isEmpty() ? "" : " because " + why) + "; nothing was stored or sent");
            q.stored().completeExceptionally(expired);
            q.resolved().completeExceptionally(expired);
            return true;
        });
    }

    private long transactionCount(DefaultBlockParameter block) throws IOException {
        EthGetTransactionCount answer = web3j.ethGetTransactionCount(relayer, block).send();
        if (answer.hasError() || answer.getResult() == null) {
            throw new IOException("eth_getTransactionCount failed: "
                    + (answer.hasError() ? answer.getError().getMessage() : "empty answer"));
        }
        return answer.getTransactionCount().longValueExact();
    }

    private Map<String, TransactionReceipt> receipts(List<String> hashes) throws IOException {
        BatchRequest batch = web3j.newBatch();
        hashes.forEach(h -> batch.add(web3j.ethGetTransactionReceipt(h)));
        Map<String, TransactionReceipt> found = new HashMap<>();
        for (Response<?> response : batch.send().getResponses()) {
            if (response instanceof EthGetTransactionReceipt answer && !answer.hasError()) {
                answer.getTransactionReceipt()
                        .ifPresent(r -> found.put(r.getTransactionHash().toLowerCase(Locale.ROOT), r));
            }
        }
        return found;
    }

    private void listen(Tracked t, CompletableFuture<StoredTransaction> future) {
        if (t.listeners.size() >= MAX_LISTENERS_PER_TRANSACTION) {
            future.completeExceptionally(new IllegalStateException("too many callers wait for nonce " + t.nonce()));
            return;
        }
        t.listeners.add(future);
    }

    private void fail(Queued queued, Throwable cause) {
        try {
            callbacks.execute(() -> {
                queued.stored().completeExceptionally(cause);
                queued.resolved().completeExceptionally(cause);
            });
        } catch (RejectedExecutionException e) {
            queued.stored().completeExceptionally(cause);
            queued.resolved().completeExceptionally(cause);
        }
    }

    private void complete(CompletableFuture<StoredTransaction> future, StoredTransaction value) {
        try {
            callbacks.execute(() -> future.complete(value));
        } catch (RejectedExecutionException e) {
            future.complete(value);
        }
    }

    private void updateGauges() {
        inFlight = tracked.size();
    }

    private Runnable guarded(Runnable step) {
        return () -> {
            if (state.get() == State.HALTED) {
                return;
            }
            try {
                step.run();
            } catch (RuntimeException e) {
                log.error("relayer {}: unexpected failure in the sender; it carries on", relayer, e);
            } catch (Error e) {
                halt(e);
            }
        };
    }

    /**
     * Stops everything at once, as a crash would: nothing more is stored or broadcast. Waiting
     * callers get an exception rather than wait forever; the store keeps whatever was written.
     */
    private void halt(Error cause) {
        state.set(State.HALTED);
        log.error("relayer {}: sender halted by {}", relayer, cause.toString());
        engine.shutdownNow();
        IllegalStateException halted = new IllegalStateException("the sender of " + relayer + " halted: " + cause);
        if (admitting != null) {
            admitting.stored().completeExceptionally(halted);
            admitting.resolved().completeExceptionally(halted);
        }
        for (Queued q; (q = queue.poll()) != null; ) {
            q.stored().completeExceptionally(halted);
            q.resolved().completeExceptionally(halted);
        }
        tracked.values().forEach(t -> t.listeners.forEach(f -> f.completeExceptionally(halted)));
        callbacks.shutdown();
    }

    private void requireRunning() {
        if (state.get() != State.RUNNING) {
            throw new IllegalStateException("the sender of " + relayer + " is " + state.get().name().toLowerCase(Locale.ROOT));
        }
    }

    private void shutdownExecutors() {
        state.set(State.CLOSED);
        engine.shutdownNow();
        callbacks.shutdownNow();
    }

    private static boolean awaitTermination(ExecutorService executor, Duration timeout) {
        try {
            return executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public String toString() {
        return "TransactionSender[" + relayer + ", " + state.get() + "]";
    }
}

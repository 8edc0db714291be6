package dev.purser.wallet.tx;

import static dev.purser.wallet.tx.SenderFixtures.balance;
import static dev.purser.wallet.tx.SenderFixtures.chainNonce;
import static dev.purser.wallet.tx.SenderFixtures.fastConfig;
import static dev.purser.wallet.tx.SenderFixtures.freshAddress;
import static dev.purser.wallet.tx.SenderFixtures.fundedRelayer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.wallet.keys.Signer;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.RawTransaction;
import org.web3j.protocol.Web3j;

/** The sender against a real Ganache that mines every transaction at once. */
@ExtendWith(GanacheExtension.class)
class TransactionSenderTest {

    private final GanacheNode node;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    TransactionSenderTest(GanacheNode node) {
        this.node = node;
    }

    @AfterEach
    void closeSenders() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    @Test
    void twoHundredConcurrentSendsAllMineWithContiguousNoncesAndOnePendingNonceRead() throws Exception {
        SenderFixtures.CountingHttpService http = new SenderFixtures.CountingHttpService(node.rpcUrl());
        Web3j web3j = Web3j.build(http);
        Signer relayer = fundedRelayer(node);
        String recipient = freshAddress();
        long startNonce = chainNonce(node.web3j(), relayer.address());
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        TransactionSender sender = start(fastConfig().maxInFlight(32).maxQueued(256).build(), web3j, relayer, store);
        int sends = 200;
        int threads = 16;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        List<Future<Submission>> submitted = new ArrayList<>();
        try {
            for (int i = 0; i < sends; i++) {
                String reference = "concurrent-" + i;
                submitted.add(callers.submit(() -> {
                    go.await();
                    return sender.send(TransactionRequest.transfer(reference, recipient, BigInteger.ONE));
                }));
            }
            go.countDown();
            List<StoredTransaction> resolved = new ArrayList<>();
            for (Future<Submission> f : submitted) {
                resolved.add(f.get(30, TimeUnit.SECONDS).resolved().get(90, TimeUnit.SECONDS));
            }

            assertThat(resolved).allSatisfy(tx -> assertThat(tx.status()).isEqualTo(TransactionStatus.MINED));
            assertThat(resolved).extracting(StoredTransaction::nonce)
                    .containsExactlyInAnyOrderElementsOf(LongStream.range(startNonce, startNonce + sends).boxed().toList());
            assertThat(resolved).extracting(tx -> tx.minedTxHash().orElseThrow()).doesNotHaveDuplicates();
            assertThat(chainNonce(node.web3j(), relayer.address())).isEqualTo(startNonce + sends);
            assertThat(balance(node.web3j(), recipient)).isEqualTo(BigInteger.valueOf(sends));
            assertThat(store.nextNonce(relayer.address())).hasValue(startNonce + sends);
            assertThat(http.count("eth_getTransactionCount", "pending")).as("nonce read from the chain only at start")
                    .isEqualTo(1);
            assertThat(http.count("eth_sendRawTransaction")).isEqualTo(sends);
        } finally {
            callers.shutdownNow();
            sender.close();
            web3j.shutdown();
        }
    }

    @Test
    void sendingTheSameReferenceAgainReturnsTheStoredTransactionAndSendsNothingMore() throws Exception {
        Signer relayer = fundedRelayer(node);
        String recipient = freshAddress();
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        TransactionSender sender = start(fastConfig().build(), node.web3j(), relayer, store);
        TransactionRequest request = TransactionRequest.transfer("settlement-batch:1", recipient, BigInteger.TEN);

        StoredTransaction first = sender.send(request).resolved().get(30, TimeUnit.SECONDS);
        StoredTransaction again = sender.send(request).resolved().get(30, TimeUnit.SECONDS);
        CompletableFuture<StoredTransaction> different =
                sender.send(TransactionRequest.transfer("settlement-batch:1", recipient, BigInteger.TWO)).stored();

        assertThat(again).isEqualTo(first);
        assertThatThrownBy(() -> different.get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already used for another request");
        assertThat(balance(node.web3j(), recipient)).isEqualTo(BigInteger.TEN);
        assertThat(store.nextNonce(relayer.address())).hasValue(first.nonce() + 1);
    }

    @Test
    void waitsWithoutSigningWhileFeesAreAboveTheCeilingAndGivesUpAfterTheQueueWait() throws Exception {
        Signer relayer = fundedRelayer(node);
        long startNonce = chainNonce(node.web3j(), relayer.address());
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        // Ganache's base fee is far above 1,000 wei, so every offer exceeds this ceiling.
        SenderConfig config = SenderConfig.builder(GanacheNode.CHAIN_ID, BigInteger.valueOf(1_000))
                .pollInterval(Duration.ofMillis(50))
                .maxQueueWait(Duration.ofMillis(1_500))
                .build();
        TransactionSender sender = start(config, node.web3j(), relayer, store);

        Submission submission = sender.send(TransactionRequest.transfer("too-dear", freshAddress(), BigInteger.ONE));
        Thread.sleep(700);

        assertThat(submission.stored()).as("still waiting, nothing signed").isNotDone();
        assertThat(store.pending(relayer.address(), 10)).isEmpty();
        assertThatThrownBy(() -> submission.stored().get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(TimeoutException.class)
                .hasMessageContaining("fees are above the ceiling")
                .hasMessageContaining("nothing was stored or sent");
        assertThat(store.nextNonce(relayer.address())).hasValue(startNonce);
        assertThat(chainNonce(node.web3j(), relayer.address())).isEqualTo(startNonce);
    }

    @Test
    void refusesMoreRequestsThanTheQueueHolds() throws Exception {
        Signer relayer = fundedRelayer(node);
        SenderConfig config = SenderConfig.builder(GanacheNode.CHAIN_ID, BigInteger.valueOf(1_000))
                .pollInterval(Duration.ofMillis(50)).maxQueued(2).build();
        TransactionSender sender = start(config, node.web3j(), relayer, new InMemoryRelayerStore());
        sender.send(TransactionRequest.transfer("q1", freshAddress(), BigInteger.ONE));
        sender.send(TransactionRequest.transfer("q2", freshAddress(), BigInteger.ONE));

        assertThatThrownBy(() -> sender.send(TransactionRequest.transfer("q3", freshAddress(), BigInteger.ONE)))
                .isInstanceOf(SenderSaturatedException.class)
                .hasMessageContaining("nothing was stored");
        assertThat(sender.status().queued()).isEqualTo(2);
    }

    @Test
    void reconcilesANonceTheChainAlreadyUsedElsewhereAndMovesOn() throws Exception {
        Signer relayer = fundedRelayer(node);
        String recipient = freshAddress();
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        TransactionSender sender = start(fastConfig().build(), node.web3j(), relayer, store);
        long nonce = store.nextNonce(relayer.address()).orElseThrow();
        // The same key sends outside the sender and takes the nonce the store will hand out next.
        RawTransaction outside = RawTransaction.createTransaction(GanacheNode.CHAIN_ID, BigInteger.valueOf(nonce),
                BigInteger.valueOf(21_000), freshAddress(), BigInteger.ONE, "0x", SenderFixtures.GWEI,
                SenderFixtures.GWEI.multiply(BigInteger.TEN));
        String raw = "0x" + HexFormat.of().formatHex(relayer.signTransaction(outside, GanacheNode.CHAIN_ID));
        assertThat(node.web3j().ethSendRawTransaction(raw).send().hasError()).isFalse();

        StoredTransaction lost = sender.send(TransactionRequest.transfer("collides", recipient, BigInteger.TWO))
                .resolved().get(30, TimeUnit.SECONDS);
        StoredTransaction next = sender.send(TransactionRequest.transfer("after", recipient, BigInteger.ONE))
                .resolved().get(30, TimeUnit.SECONDS);

        assertThat(lost.nonce()).isEqualTo(nonce);
        assertThat(lost.status()).isEqualTo(TransactionStatus.NONCE_CONSUMED_ELSEWHERE);
        assertThat(lost.resolution().orElseThrow().reason()).hasValueSatisfying(r -> assertThat(r).contains("outside"));
        assertThat(lost.attempts()).hasSize(1);
        assertThat(next.nonce()).isEqualTo(nonce + 1);
        assertThat(next.status()).isEqualTo(TransactionStatus.MINED);
        assertThat(balance(node.web3j(), recipient)).as("only the second request paid").isEqualTo(BigInteger.ONE);
        assertThat(store.pending(relayer.address(), 10)).isEmpty();
    }

    @Test
    void aRequestTheNodeKeepsRefusingIsCanceledSoItsNonceIsUsedAndLaterNoncesStillMine() throws Exception {
        Signer relayer = fundedRelayer(node);
        String recipient = freshAddress();
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        TransactionSender sender = start(fastConfig().maxRefusalsBeforeCancel(2).rebroadcastInterval(Duration.ofMillis(100))
                .build(), node.web3j(), relayer, store);
        // Call data costs gas beyond the 21,000 limit: every node refuses it as "intrinsic gas too low".
        TransactionRequest hopeless = new TransactionRequest("hopeless", recipient, BigInteger.ONE, "0x" + "ff".repeat(64),
                21_000);

        StoredTransaction canceled = sender.send(hopeless).resolved().get(30, TimeUnit.SECONDS);
        StoredTransaction next = sender.send(TransactionRequest.transfer("fine", recipient, BigInteger.ONE))
                .resolved().get(30, TimeUnit.SECONDS);

        assertThat(canceled.status()).isEqualTo(TransactionStatus.CANCELED);
        assertThat(canceled.resolution().orElseThrow().reason()).hasValueSatisfying(r -> assertThat(r).contains("intrinsic gas"));
        assertThat(canceled.latestAttempt().kind()).isEqualTo(AttemptKind.CANCELLATION);
        assertThat(canceled.minedTxHash()).contains(canceled.latestAttempt().txHash());
        assertThat(next.nonce()).isEqualTo(canceled.nonce() + 1);
        assertThat(next.status()).isEqualTo(TransactionStatus.MINED);
        assertThat(balance(node.web3j(), recipient)).isEqualTo(BigInteger.ONE);
    }

    @Test
    void refusesToStartAgainstANodeOnAnotherChain() {
        Signer relayer = fundedRelayer(node);
        SenderConfig base = SenderConfig.builder(8453, SenderFixtures.GWEI).build();

        assertThatThrownBy(() -> TransactionSender.start(base, node.web3j(), relayer, new InMemoryRelayerStore()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("chain 1337");
    }

    @Test
    void closingFailsWaitingRequestsThatWereNeverStored() throws Exception {
        Signer relayer = fundedRelayer(node);
        SenderConfig config = SenderConfig.builder(GanacheNode.CHAIN_ID, BigInteger.valueOf(1_000))
                .pollInterval(Duration.ofMillis(50)).build();
        TransactionSender sender = TransactionSender.start(config, node.web3j(), relayer, new InMemoryRelayerStore());
        Submission waiting = sender.send(TransactionRequest.transfer("never", freshAddress(), BigInteger.ONE));

        sender.close();

        assertThatThrownBy(() -> waiting.stored().get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("nothing was stored");
        assertThatThrownBy(() -> sender.send(TransactionRequest.transfer("late", freshAddress(), BigInteger.ONE)))
                .isInstanceOf(IllegalStateException.class);
    }

    private TransactionSender start(SenderConfig config, Web3j web3j, Signer relayer, RelayerStore store) {
        TransactionSender sender = TransactionSender.start(config, web3j, relayer, store, new Web3jBroadcaster(web3j),
                Clock.systemUTC());
        toClose.add(sender);
        return sender;
    }
}

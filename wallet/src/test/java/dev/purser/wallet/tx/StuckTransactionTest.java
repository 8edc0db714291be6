package dev.purser.wallet.tx;

import static dev.purser.wallet.tx.SenderFixtures.balance;
import static dev.purser.wallet.tx.SenderFixtures.chainNonce;
import static dev.purser.wallet.tx.SenderFixtures.fastConfig;
import static dev.purser.wallet.tx.SenderFixtures.freshAddress;
import static dev.purser.wallet.tx.SenderFixtures.fundedRelayer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.purser.contracts.testing.GanacheNode;
import dev.purser.wallet.keys.Signer;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Transactions that do not mine: a private Ganache whose miner the tests stop. */
class StuckTransactionTest {

    private static GanacheNode node;

    @BeforeAll
    static void startPrivateNode() {
        // "strict" instamine answers eth_sendRawTransaction at once and mines afterwards, like a real
        // node; the default "eager" mode holds the answer until the transaction mines, which for a
        // transaction queued behind a nonce gap means until the HTTP client times out.
        node = GanacheNode.start(List.of("--miner.instamine", "strict"));
    }

    @AfterAll
    static void stopPrivateNode() {
        node.close();
    }

    @AfterEach
    void restartMiner() {
        node.startMiner();
    }

    @Test
    void aStuckTransactionIsReplacedWithBothFeesBumpedAndOnlyTheMinedAttemptIsRecorded() throws Exception {
        Signer relayer = fundedRelayer(node);
        String recipient = freshAddress();
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        long startNonce = chainNonce(node.web3j(), relayer.address());
        SenderConfig config = fastConfig().stuckAfter(Duration.ofMillis(800)).maxAttempts(2).build();
        try (TransactionSender sender = TransactionSender.start(config, node.web3j(), relayer, store)) {
            node.stopMiner();

            Submission submission = sender.send(TransactionRequest.transfer("stuck-1", recipient, BigInteger.valueOf(5)));
            long nonce = submission.stored().get(30, TimeUnit.SECONDS).nonce();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> store.find(relayer.address(), nonce).orElseThrow().attempts().size() == 2);
            Thread.sleep(2 * config.stuckAfter().toMillis());
            StoredTransaction beforeMining = store.find(relayer.address(), nonce).orElseThrow();

            assertThat(beforeMining.attempts()).as("maxAttempts bounds the bumps").hasSize(2);
            TransactionAttempt original = beforeMining.attempts().get(0);
            TransactionAttempt replacement = beforeMining.attempts().get(1);
            assertThat(replacement.kind()).isEqualTo(AttemptKind.REPLACEMENT);
            assertBumpedByAnEighth(original.fees().maxFeePerGas(), replacement.fees().maxFeePerGas());
            assertBumpedByAnEighth(original.fees().maxPriorityFeePerGas(), replacement.fees().maxPriorityFeePerGas());
            assertThat(submission.resolved()).isNotDone();

            node.startMiner();
            node.mine();
            StoredTransaction resolved = submission.resolved().get(30, TimeUnit.SECONDS);

            assertThat(resolved.status()).isEqualTo(TransactionStatus.MINED);
            assertThat(resolved.minedTxHash()).contains(replacement.txHash());
            assertThat(resolved.resolution().orElseThrow().inclusion().orElseThrow().attemptNumber()).isEqualTo(1);
            assertThat(node.web3j().ethGetTransactionReceipt(replacement.txHash()).send().getTransactionReceipt()).isPresent();
            assertThat(node.web3j().ethGetTransactionReceipt(original.txHash()).send().getTransactionReceipt())
                    .as("the replaced attempt never mines").isEmpty();
            assertThat(balance(node.web3j(), recipient)).as("paid once").isEqualTo(BigInteger.valueOf(5));
            assertThat(chainNonce(node.web3j(), relayer.address())).isEqualTo(startNonce + 1);
        }
    }

    @Test
    void aRestartedSenderRebroadcastsThePendingBytesTheNodeAlreadyHoldsAndRecordsTheOneThatMines() throws Exception {
        Signer relayer = fundedRelayer(node);
        String recipient = freshAddress();
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        long startNonce = chainNonce(node.web3j(), relayer.address());
        node.stopMiner();
        StoredTransaction stored;
        try (TransactionSender first = TransactionSender.start(fastConfig().build(), node.web3j(), relayer, store)) {
            stored = first.send(TransactionRequest.transfer("restart-1", recipient, BigInteger.valueOf(3)))
                    .stored().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> node.web3j().ethGetTransactionByHash(stored.latestAttempt().txHash()).send()
                            .getTransaction().isPresent());
        }

        List<byte[]> rebroadcast = new CopyOnWriteArrayList<>();
        Web3jBroadcaster real = new Web3jBroadcaster(node.web3j());
        Broadcaster recording = signedRaw -> {
            rebroadcast.add(signedRaw);
            return real.broadcast(signedRaw);
        };
        try (TransactionSender second = TransactionSender.start(fastConfig().build(), node.web3j(), relayer, store,
                recording, Clock.systemUTC())) {
            assertThat(second.recovery().resumed()).isEqualTo(1);
            assertThat(rebroadcast).hasSize(1);
            assertThat(rebroadcast.get(0)).isEqualTo(stored.latestAttempt().signedRaw());
            assertThat(second.status().running()).as("the node's answer to a resend is not fatal").isTrue();

            node.startMiner();
            node.mine();
            StoredTransaction resolved = second.outcome(stored.nonce()).get(30, TimeUnit.SECONDS);

            assertThat(resolved.status()).isEqualTo(TransactionStatus.MINED);
            assertThat(resolved.minedTxHash()).contains(stored.latestAttempt().txHash());
            assertThat(resolved.attempts()).hasSize(1);
        }
        assertThat(balance(node.web3j(), recipient)).isEqualTo(BigInteger.valueOf(3));
        assertThat(chainNonce(node.web3j(), relayer.address())).isEqualTo(startNonce + 1);
    }

    @Test
    void aMinedTransactionTheChainForgetsIsSentAgainSoTheNoncesAfterItStillMine() throws Exception {
        Signer relayer = fundedRelayer(node);
        String recipient = freshAddress();
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        long startNonce = chainNonce(node.web3j(), relayer.address());
        SenderConfig config = fastConfig().stuckAfter(Duration.ofMillis(500)).rebroadcastInterval(Duration.ofMillis(500))
                .build();
        try (TransactionSender sender = TransactionSender.start(config, node.web3j(), relayer, store)) {
            String beforeFirst = node.snapshot();
            StoredTransaction first = sender.send(TransactionRequest.transfer("reorged", recipient, BigInteger.ONE))
                    .resolved().get(30, TimeUnit.SECONDS);
            // A reorg: the block with the first transaction is gone, the sender has already recorded it.
            node.revert(beforeFirst);
            assertThat(chainNonce(node.web3j(), relayer.address())).isEqualTo(startNonce);

            StoredTransaction second = sender.send(TransactionRequest.transfer("after-reorg", recipient, BigInteger.TWO))
                    .resolved().get(30, TimeUnit.SECONDS);

            assertThat(first.status()).isEqualTo(TransactionStatus.MINED);
            assertThat(second.nonce()).isEqualTo(first.nonce() + 1);
            assertThat(second.status()).isEqualTo(TransactionStatus.MINED);
            assertThat(node.web3j().ethGetTransactionReceipt(first.latestAttempt().txHash()).send().getTransactionReceipt())
                    .as("the first transaction is mined again").isPresent();
            assertThat(chainNonce(node.web3j(), relayer.address())).isEqualTo(startNonce + 2);
            assertThat(balance(node.web3j(), recipient)).isEqualTo(BigInteger.valueOf(3));
        }
    }

    private static void assertBumpedByAnEighth(BigInteger before, BigInteger after) {
        // after >= before * 1.125, in integers.
        assertThat(after.multiply(BigInteger.valueOf(8))).isGreaterThanOrEqualTo(before.multiply(BigInteger.valueOf(9)));
    }
}

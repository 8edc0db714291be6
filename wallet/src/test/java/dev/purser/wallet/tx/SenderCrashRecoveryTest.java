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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A sender that dies between storing and broadcasting, and the sender that takes over its store. */
@ExtendWith(GanacheExtension.class)
class SenderCrashRecoveryTest {

    /** Thrown by a broadcaster to simulate the process dying at that instant. */
    private static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("simulated crash before the broadcast");
        }
    }

    private final GanacheNode node;

    SenderCrashRecoveryTest(GanacheNode node) {
        this.node = node;
    }

    @Test
    void aTransactionStoredByASenderThatDiedBeforeBroadcastingIsSentExactlyOnceByTheNextSender() throws Exception {
        Signer relayer = fundedRelayer(node);
        String recipient = freshAddress();
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        long startNonce = chainNonce(node.web3j(), relayer.address());
        Broadcaster dies = signedRaw -> {
            throw new SimulatedCrash();
        };
        TransactionSender crashed = TransactionSender.start(fastConfig().build(), node.web3j(), relayer, store, dies,
                Clock.systemUTC());

        Submission submission = crashed.send(TransactionRequest.transfer("crash-1", recipient, BigInteger.valueOf(7)));
        StoredTransaction stored = submission.stored().get(30, TimeUnit.SECONDS);

        assertThatThrownBy(() -> submission.resolved().get(30, TimeUnit.SECONDS)).hasMessageContaining("halted");
        assertThat(crashed.status().running()).isFalse();
        assertThat(chainNonce(node.web3j(), relayer.address())).as("nothing reached the chain").isEqualTo(startNonce);
        assertThat(store.pending(relayer.address(), 10)).containsExactly(stored);

        List<byte[]> rebroadcast = new CopyOnWriteArrayList<>();
        Web3jBroadcaster real = new Web3jBroadcaster(node.web3j());
        Broadcaster recording = signedRaw -> {
            rebroadcast.add(signedRaw);
            return real.broadcast(signedRaw);
        };
        try (TransactionSender successor = TransactionSender.start(fastConfig().build(), node.web3j(), relayer, store,
                recording, Clock.systemUTC())) {
            StoredTransaction resolved = successor.outcome(stored.nonce()).get(30, TimeUnit.SECONDS);

            assertThat(successor.recovery().resumed()).isEqualTo(1);
            assertThat(successor.recovery().nextNonce()).isEqualTo(startNonce + 1);
            assertThat(rebroadcast).hasSize(1);
            assertThat(rebroadcast.get(0)).as("byte for byte").isEqualTo(stored.latestAttempt().signedRaw());
            assertThat(resolved.status()).isEqualTo(TransactionStatus.MINED);
            assertThat(resolved.minedTxHash()).contains(stored.latestAttempt().txHash());
            assertThat(resolved.attempts()).hasSize(1);

            StoredTransaction resent = successor.send(TransactionRequest.transfer("crash-1", recipient, BigInteger.valueOf(7)))
                    .resolved().get(30, TimeUnit.SECONDS);
            assertThat(resent).as("the caller's retry finds the stored transaction").isEqualTo(resolved);
        }
        assertThat(balance(node.web3j(), recipient)).as("paid exactly once").isEqualTo(BigInteger.valueOf(7));
        assertThat(chainNonce(node.web3j(), relayer.address())).isEqualTo(startNonce + 1);
    }

    @Test
    void aRestartReconcilesACounterTheChainHasOvertaken() throws Exception {
        Signer relayer = fundedRelayer(node);
        InMemoryRelayerStore store = new InMemoryRelayerStore();
        long chainNonce = chainNonce(node.web3j(), relayer.address());
        store.advanceNextNonce(relayer.address(), chainNonce - 1);

        try (TransactionSender sender = TransactionSender.start(fastConfig().build(), node.web3j(), relayer, store)) {
            assertThat(sender.recovery().seeded()).isFalse();
            assertThat(sender.recovery().advancedBy()).isEqualTo(1);
            assertThat(store.nextNonce(relayer.address())).hasValue(chainNonce);
        }
    }
}

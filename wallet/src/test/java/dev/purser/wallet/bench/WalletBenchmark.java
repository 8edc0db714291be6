package dev.purser.wallet.bench;

import dev.purser.contracts.testing.GanacheNode;
import dev.purser.wallet.eip3009.Bytes32;
import dev.purser.wallet.eip3009.Eip3009;
import dev.purser.wallet.eip3009.Eip712Domain;
import dev.purser.wallet.eip3009.SignedTransferAuthorization;
import dev.purser.wallet.eip3009.TransferAuthorization;
import dev.purser.wallet.keys.HdWallet;
import dev.purser.wallet.keys.LocalSigner;
import dev.purser.wallet.keys.Signer;
import dev.purser.wallet.tx.InMemoryRelayerStore;
import dev.purser.wallet.tx.SenderConfig;
import dev.purser.wallet.tx.StoredTransaction;
import dev.purser.wallet.tx.Submission;
import dev.purser.wallet.tx.TransactionRequest;
import dev.purser.wallet.tx.TransactionSender;
import dev.purser.wallet.tx.TransactionStatus;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.web3j.crypto.RawTransaction;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.utils.Numeric;

/**
 * Measures the wallet's two hot paths and prints the figures: EIP-3009 signatures per second on
 * one thread (digest and RFC 6979 ECDSA, as the settler signs each settlement), and transactions
 * per second through the relayer's {@link TransactionSender} on a private Ganache that it starts
 * and stops. Run it with {@code scripts/bench-wallet.sh}; it is not a test.
 *
 * <p>Arguments: {@code --sign-seconds=N} (default 5) and {@code --sends=N} (default 1000).
 */
public final class WalletBenchmark {

    private static final String MNEMONIC = "test test test test test test test test test test test junk";
    private static final Duration SIGN_WARM_UP = Duration.ofSeconds(2);
    private static final int SEND_WARM_UP = 50;
    private static final long MAX_SENDS = 100_000;

    private WalletBenchmark() {}

    public static void main(String[] args) throws Exception {
        long signSeconds = option(args, "--sign-seconds", 5);
        long sends = option(args, "--sends", 1_000);
        if (signSeconds < 1 || signSeconds > 600 || sends < 1 || sends > MAX_SENDS) {
            throw new IllegalArgumentException("--sign-seconds must be 1 to 600 and --sends 1 to " + MAX_SENDS);
        }
        List<String> report = new ArrayList<>();
        report.addAll(signatures(Duration.ofSeconds(signSeconds)));
        report.addAll(sends((int) sends));
        System.out.println();
        System.out.println("Purser wallet benchmark (" + Runtime.getRuntime().availableProcessors() + " CPUs, Java "
                + Runtime.version() + ")");
        report.forEach(System.out::println);
    }

    private static List<String> signatures(Duration measured) {
        HdWallet wallet = HdWallet.fromMnemonic(MNEMONIC);
        Signer agent = wallet.agentSigner(1);
        Eip712Domain domain = new Eip712Domain("USD Coin", "2", 8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913");
        String merchant = wallet.agentAddress(2);
        signFor(SIGN_WARM_UP, agent, domain, merchant);
        long[] result = signFor(measured, agent, domain, merchant);
        double perSecond = result[0] * 1e9 / result[1];
        return List.of(String.format(Locale.ROOT,
                "EIP-3009 signatures, one thread:   %,10.0f per second   (%,d in %.1f s; %.1f µs each)",
                perSecond, result[0], result[1] / 1e9, 1e6 / perSecond));
    }

    /** Signs fresh authorizations for {@code duration}; returns {count, nanos}. */
    private static long[] signFor(Duration duration, Signer agent, Eip712Domain domain, String merchant) {
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        long count = 0;
        long now = start;
        SignedTransferAuthorization last = null;
        while (now < deadline) {
            // A different nonce each time, as every settlement has its own.
            byte[] nonce = ByteBuffer.allocate(32).putLong(24, count).array();
            TransferAuthorization authorization = new TransferAuthorization(agent.address(), merchant, 1_000_000 + count,
                    0, 1_900_000_000L, Bytes32.of(nonce));
            last = Eip3009.sign(agent, domain, authorization);
            count++;
            now = System.nanoTime();
        }
        if (last == null || !Eip3009.recoverSigner(domain, last).equals(agent.address())) {
            throw new IllegalStateException("the benchmark's signatures do not verify");
        }
        return new long[] {count, now - start};
    }

    private static List<String> sends(int count) throws Exception {
        GanacheNode node = GanacheNode.start();
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                node.close();
            }
        };
        // A signal ends the JVM without running finally blocks; the hook still stops Ganache.
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "stop-ganache"));
        try {
            LocalSigner relayer = LocalSigner.fromPrivateKeyHex(GanacheNode.DETERMINISTIC_KEYS.get(1));
            SenderConfig config = SenderConfig.builder(GanacheNode.CHAIN_ID, BigInteger.valueOf(100_000_000_000L))
                    .pollInterval(Duration.ofMillis(100))
                    .maxInFlight(256)
                    .maxQueued((int) Math.min(MAX_SENDS, count + SEND_WARM_UP))
                    .build();
            String recipient = HdWallet.fromMnemonic(MNEMONIC).agentAddress(3);
            try (TransactionSender sender = TransactionSender.start(config, node.web3j(), relayer, new InMemoryRelayerStore())) {
                run(sender, "warm-up", SEND_WARM_UP, recipient);
                long[] timings = run(sender, "bench", count, recipient);
                double submitted = count * 1e9 / timings[0];
                double stored = count * 1e9 / timings[1];
                double mined = count * 1e9 / timings[2];
                // Measured after the sender, so that both run with a warm JVM and an equally long chain.
                ganacheBaseline(node, SEND_WARM_UP, recipient, 0);
                double baseline = ganacheBaseline(node, count, recipient, SEND_WARM_UP);
                return List.of(
                        String.format(Locale.ROOT,
                                "Sender on Ganache, %,d transfers:  %,10.0f per second mined and recorded (all %,d in %.1f s)",
                                count, mined, count, timings[2] / 1e9),
                        String.format(Locale.ROOT,
                                "                                   %,10.0f per second signed, stored and broadcast", stored),
                        String.format(Locale.ROOT,
                                "                                   %,10.0f per second send() calls returning", submitted),
                        String.format(Locale.ROOT,
                                "Ganache alone, same transfers:     %,10.0f per second (pre-signed, sent one by one: "
                                        + "the node's own ceiling)", baseline));
            }
        } finally {
            stop.run();
        }
    }

    /**
     * Transfers per second that Ganache itself takes when they are signed beforehand and sent one by
     * one, from another account: the ceiling any sender on this node can reach, since Ganache mines
     * each transaction in its own block before it answers.
     */
    private static double ganacheBaseline(GanacheNode node, int count, String recipient, int firstNonce)
            throws Exception {
        LocalSigner account = LocalSigner.fromPrivateKeyHex(GanacheNode.DETERMINISTIC_KEYS.get(2));
        BigInteger gwei = BigInteger.valueOf(1_000_000_000L);
        List<String> signed = new ArrayList<>(count);
        for (int nonce = firstNonce; nonce < firstNonce + count; nonce++) {
            RawTransaction tx = RawTransaction.createTransaction(GanacheNode.CHAIN_ID, BigInteger.valueOf(nonce),
                    BigInteger.valueOf(21_000), recipient, BigInteger.ONE, "0x", gwei, gwei.multiply(BigInteger.TEN));
            signed.add(Numeric.toHexString(account.signTransaction(tx, GanacheNode.CHAIN_ID)));
        }
        long start = System.nanoTime();
        for (String raw : signed) {
            EthSendTransaction answer = node.web3j().ethSendRawTransaction(raw).send();
            if (answer.hasError()) {
                throw new IllegalStateException("Ganache refused a baseline transfer: " + answer.getError().getMessage());
            }
        }
        return count * 1e9 / (System.nanoTime() - start);
    }

    /** Sends {@code count} transfers; returns the nanos until all were submitted, stored and resolved. */
    private static long[] run(TransactionSender sender, String label, int count, String recipient) throws Exception {
        List<Submission> submissions = new ArrayList<>(count);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            submissions.add(sender.send(TransactionRequest.transfer(label + "-" + i, recipient, BigInteger.ONE)));
        }
        long submitted = System.nanoTime() - start;
        for (Submission s : submissions) {
            s.stored().get(10, TimeUnit.MINUTES);
        }
        long stored = System.nanoTime() - start;
        long previous = -1;
        for (Submission s : submissions) {
            StoredTransaction tx = s.resolved().get(10, TimeUnit.MINUTES);
            if (tx.status() != TransactionStatus.MINED || (previous >= 0 && tx.nonce() != previous + 1)) {
                throw new IllegalStateException("transaction " + tx.nonce() + " ended " + tx.status()
                        + " after nonce " + previous + ": the benchmark's sends did not all mine in order");
            }
            previous = tx.nonce();
        }
        long resolved = System.nanoTime() - start;
        return new long[] {submitted, stored, resolved};
    }

    private static long option(String[] args, String name, long fallback) {
        for (String arg : args) {
            if (arg.startsWith(name + "=")) {
                return Long.parseLong(arg.substring(name.length() + 1));
            }
        }
        return fallback;
    }
}

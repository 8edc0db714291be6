package dev.purser.wallet.tx;

import dev.purser.contracts.testing.GanacheNode;
import dev.purser.wallet.keys.HdWallet;
import dev.purser.wallet.keys.LocalSigner;
import dev.purser.wallet.keys.Signer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.web3j.crypto.Keys;
import org.web3j.crypto.MnemonicUtils;
import org.web3j.crypto.RawTransaction;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.BatchRequest;
import org.web3j.protocol.core.BatchResponse;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.http.HttpService;

/** Shared set-up of the sender tests: funded relayers, fast configurations, chain reads. */
final class SenderFixtures {

    static final BigInteger GWEI = BigInteger.valueOf(1_000_000_000L);
    static final BigInteger ETHER = GWEI.multiply(GWEI);
    private static final SecureRandom RANDOM = new SecureRandom();
    // Ganache's account 9 funds relayers; no other test on the shared node sends from it.
    private static final int FUNDER = 9;

    private SenderFixtures() {}

    /** A relayer derived from a fresh wallet (so a fresh nonce space), given 10 ETH, at nonce 1. */
    static Signer fundedRelayer(GanacheNode node) {
        byte[] entropy = new byte[16];
        RANDOM.nextBytes(entropy);
        Signer relayer = HdWallet.fromMnemonic(MnemonicUtils.generateMnemonic(entropy)).relayer();
        Signer funder = LocalSigner.fromPrivateKeyHex(GanacheNode.DETERMINISTIC_KEYS.get(FUNDER));
        try {
            long funderNonce = node.web3j().ethGetTransactionCount(funder.address(), DefaultBlockParameterName.PENDING)
                    .send().getTransactionCount().longValueExact();
            sendAndAwait(node, funder, funderNonce, relayer.address(), ETHER.multiply(BigInteger.TEN));
            // Ganache 7 mines a transaction with nonce 0 again whenever it is resent, even after the
            // account has moved on (a Ganache bug; real clients refuse it as "nonce too low"). Using
            // nonce 0 up here keeps that quirk out of the rebroadcast and exactly-once tests.
            sendAndAwait(node, relayer, 0, relayer.address(), BigInteger.ZERO);
        } catch (IOException e) {
            throw new UncheckedIOException("could not fund the relayer", e);
        }
        return relayer;
    }

    /** Sends a transfer signed by {@code from} and waits (at most 10 s) for its receipt. */
    private static void sendAndAwait(GanacheNode node, Signer from, long nonce, String to, BigInteger wei)
            throws IOException {
        RawTransaction tx = RawTransaction.createTransaction(GanacheNode.CHAIN_ID, BigInteger.valueOf(nonce),
                BigInteger.valueOf(21_000), to, wei, "0x", GWEI, GWEI.multiply(BigInteger.valueOf(50)));
        String raw = "0x" + HexFormat.of().formatHex(from.signTransaction(tx, GanacheNode.CHAIN_ID));
        EthSendTransaction sent = node.web3j().ethSendRawTransaction(raw).send();
        if (sent.hasError()) {
            throw new IllegalStateException("the node refused a fixture transfer: " + sent.getError().getMessage());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (node.web3j().ethGetTransactionReceipt(sent.getTransactionHash()).send().getTransactionReceipt().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("a fixture transfer did not mine within 10 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /** A fresh address nobody has used: balances there count our transfers exactly. */
    static String freshAddress() {
        byte[] bytes = new byte[20];
        RANDOM.nextBytes(bytes);
        return Keys.toChecksumAddress("0x" + HexFormat.of().formatHex(bytes));
    }

    /** Timings for a local chain that mines at once: fast polls, short waits. */
    static SenderConfig.Builder fastConfig() {
        return SenderConfig.builder(GanacheNode.CHAIN_ID, GWEI.multiply(BigInteger.valueOf(100)))
                .pollInterval(Duration.ofMillis(50))
                .feeQuoteTtl(Duration.ofMillis(500))
                .stuckAfter(Duration.ofSeconds(30))
                .rebroadcastInterval(Duration.ofSeconds(30))
                .maxQueueWait(Duration.ofSeconds(60));
    }

    static BigInteger balance(Web3j web3j, String address) {
        try {
            return web3j.ethGetBalance(address, DefaultBlockParameterName.LATEST).send().getBalance();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long chainNonce(Web3j web3j, String address) {
        try {
            return web3j.ethGetTransactionCount(address, DefaultBlockParameterName.LATEST).send().getTransactionCount()
                    .longValueExact();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An HTTP service that counts the JSON-RPC methods it sends, with their first parameter's tag. */
    static class CountingHttpService extends HttpService {
        private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();

        CountingHttpService(String url) {
            super(url);
        }

        @Override
        public <T extends Response> T send(Request request, Class<T> responseType) throws IOException {
            count(request);
            return super.send(request, responseType);
        }

        @Override
        public BatchResponse sendBatch(BatchRequest batch) throws IOException {
            batch.getRequests().forEach(this::count);
            return super.sendBatch(batch);
        }

        long count(String method, String lastParameter) {
            return calls.getOrDefault(method + " " + lastParameter, new AtomicLong()).get();
        }

        long count(String method) {
            return calls.entrySet().stream().filter(e -> e.getKey().startsWith(method + " "))
                    .mapToLong(e -> e.getValue().get()).sum();
        }

        final void count(Request<?, ?> request) {
            List<?> params = request.getParams();
            Object last = params == null || params.isEmpty() ? "" : params.get(params.size() - 1);
            calls.computeIfAbsent(request.getMethod() + " " + last, k -> new AtomicLong()).incrementAndGet();
        }
    }
}

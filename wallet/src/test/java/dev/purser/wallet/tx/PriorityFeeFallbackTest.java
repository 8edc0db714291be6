package dev.purser.wallet.tx;

import static dev.purser.wallet.tx.SenderFixtures.freshAddress;
import static dev.purser.wallet.tx.SenderFixtures.fundedRelayer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.purser.contracts.testing.GanacheExtension;
import dev.purser.contracts.testing.GanacheNode;
import dev.purser.wallet.keys.Signer;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;

/** A node without {@code eth_maxPriorityFeePerGas}: the configured tip is used instead. */
@ExtendWith(GanacheExtension.class)
class PriorityFeeFallbackTest {

    private static final BigInteger FALLBACK_TIP = BigInteger.valueOf(1_234_567);

    /** Answers eth_maxPriorityFeePerGas with "method not found", as older or stripped-down nodes do. */
    private static final class NoTipSuggestions extends SenderFixtures.CountingHttpService {
        NoTipSuggestions(String url) {
            super(url);
        }

        @Override
        public <T extends Response> T send(Request request, Class<T> responseType) throws IOException {
            if (!"eth_maxPriorityFeePerGas".equals(request.getMethod())) {
                return super.send(request, responseType);
            }
            super.count(request);
            try {
                T refusal = responseType.getDeclaredConstructor().newInstance();
                refusal.setError(new Response.Error(-32601, "the method eth_maxPriorityFeePerGas does not exist"));
                return refusal;
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private final GanacheNode node;

    PriorityFeeFallbackTest(GanacheNode node) {
        this.node = node;
    }

    @Test
    void offersTheConfiguredTipWhenTheNodeSuggestsNoneAndStopsAsking() throws Exception {
        NoTipSuggestions http = new NoTipSuggestions(node.rpcUrl());
        Web3j web3j = Web3j.build(http);
        Signer relayer = fundedRelayer(node);
        FeePolicy fees = new FeePolicy(200, FALLBACK_TIP, BigInteger.valueOf(2_000_000_000L),
                BigInteger.valueOf(100_000_000_000L));
        SenderConfig config = SenderFixtures.fastConfig().fees(fees).feeQuoteTtl(Duration.ZERO).build();
        try (TransactionSender sender = TransactionSender.start(config, web3j, relayer, new InMemoryRelayerStore(),
                new Web3jBroadcaster(web3j), Clock.systemUTC())) {
            StoredTransaction first = sender.send(TransactionRequest.transfer("tip-1", freshAddress(), BigInteger.ONE))
                    .resolved().get(30, TimeUnit.SECONDS);
            StoredTransaction second = sender.send(TransactionRequest.transfer("tip-2", freshAddress(), BigInteger.ONE))
                    .resolved().get(30, TimeUnit.SECONDS);

            assertThat(first.status()).isEqualTo(TransactionStatus.MINED);
            assertThat(first.latestAttempt().fees().maxPriorityFeePerGas()).isEqualTo(FALLBACK_TIP);
            assertThat(second.latestAttempt().fees().maxPriorityFeePerGas()).isEqualTo(FALLBACK_TIP);
            assertThat(http.count("eth_maxPriorityFeePerGas")).as("asked once, then never again").isEqualTo(1);
            assertThat(http.count("eth_getBlockByNumber")).as("a fresh base fee per quote").isGreaterThanOrEqualTo(2);
        } finally {
            web3j.shutdown();
        }
    }

    @Test
    void offersTheNodesSuggestionWhenItHasOne() throws Exception {
        BigInteger suggested = node.web3j().ethMaxPriorityFeePerGas().send().getMaxPriorityFeePerGas();
        FeePolicy fees = new FeePolicy(200, FALLBACK_TIP, BigInteger.valueOf(2_000_000_000L),
                BigInteger.valueOf(100_000_000_000L));

        assertThat(fees.offer(BigInteger.TEN, Optional.of(suggested)).orElseThrow().maxPriorityFeePerGas())
                .isEqualTo(suggested);
        try (TransactionSender sender = TransactionSender.start(SenderFixtures.fastConfig().fees(fees).build(),
                node.web3j(), fundedRelayer(node), new InMemoryRelayerStore())) {
            StoredTransaction tx = sender.send(TransactionRequest.transfer("tip-node", freshAddress(), BigInteger.ONE))
                    .resolved().get(30, TimeUnit.SECONDS);

            assertThat(tx.latestAttempt().fees().maxPriorityFeePerGas()).isEqualTo(suggested);
        }
    }
}

package dev.purser.wallet.tx;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthMaxPriorityFeePerGas;

/**
 * Reads the market from the chain: the latest block's base fee and the node's suggested tip,
 * cached for a short time. Not thread-safe: the sender's engine thread alone uses it.
 */
final class FeeOracle {

    /** The market as last read. */
    record Market(BigInteger baseFeeWei, Optional<BigInteger> suggestedPriorityFeeWei) {}

    private static final Logger log = LoggerFactory.getLogger(FeeOracle.class);

    private final Web3j web3j;
    private final Clock clock;
    private final Duration ttl;
    private boolean nodeSuggestsTips = true;
    private Market cached;
    private Instant cachedAt = Instant.MIN;

    FeeOracle(Web3j web3j, Clock clock, Duration ttl) {
        this.web3j = web3j;
        this.clock = clock;
        this.ttl = ttl;
    }

    Market market() throws IOException {
        Instant now = clock.instant();
        if (cached != null && now.isBefore(cachedAt.plus(ttl))) {
            return cached;
        }
        EthBlock.Block latest = web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send().getBlock();
        if (latest == null) {
            throw new IOException("the node returned no latest block");
        }
        if (latest.getBaseFeePerGasRaw() == null) {
            throw new IllegalStateException("the latest block has no base fee: the chain is not EIP-1559 (London or later)");
        }
        cached = new Market(latest.getBaseFeePerGas(), suggestedTip());
        cachedAt = now;
        return cached;
    }

    private Optional<BigInteger> suggestedTip() throws IOException {
        if (!nodeSuggestsTips) {
            return Optional.empty();
        }
        EthMaxPriorityFeePerGas answer = web3j.ethMaxPriorityFeePerGas().send();
        if (answer.hasError() || answer.getResult() == null) {
            // A node without eth_maxPriorityFeePerGas will not grow it; stop asking and use the fallback.
            nodeSuggestsTips = false;
            log.info("the node has no eth_maxPriorityFeePerGas ({}); using the configured fallback tip",
                    answer.hasError() ? answer.getError().getMessage() : "empty answer");
            return Optional.empty();
        }
        return Optional.of(answer.getMaxPriorityFeePerGas());
    }
}

package dev.purser.wallet.tx;

import java.util.Objects;

/**
 * Where an attempt was mined.
 *
 * @param txHash the mined attempt's hash
 * @param attemptNumber which attempt it was
 * @param blockNumber the block's number
 * @param blockHash the block's hash; the indexer compares it to detect reorgs
 * @param gasUsed the gas the transaction used
 */
public record Inclusion(String txHash, int attemptNumber, long blockNumber, String blockHash, long gasUsed) {

    public Inclusion {
        Objects.requireNonNull(txHash, "txHash");
        Objects.requireNonNull(blockHash, "blockHash");
        if (attemptNumber < 0 || blockNumber < 0 || gasUsed < 0) {
            throw new IllegalArgumentException("attempt, block number and gas used must not be negative");
        }
    }
}

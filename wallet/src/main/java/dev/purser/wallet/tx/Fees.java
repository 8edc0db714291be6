package dev.purser.wallet.tx;

import java.math.BigInteger;
import java.util.Objects;

/**
 * The two EIP-1559 fee fields of a transaction, in wei per gas.
 *
 * @param maxFeePerGas the most paid per gas (base fee plus tip); positive
 * @param maxPriorityFeePerGas the most tip paid per gas; zero or more and at most {@code maxFeePerGas}
 */
public record Fees(BigInteger maxFeePerGas, BigInteger maxPriorityFeePerGas) {

    public Fees {
        Objects.requireNonNull(maxFeePerGas, "maxFeePerGas");
        Objects.requireNonNull(maxPriorityFeePerGas, "maxPriorityFeePerGas");
        if (maxFeePerGas.signum() <= 0) {
            throw new IllegalArgumentException("maxFeePerGas must be positive, got " + maxFeePerGas);
        }
        if (maxPriorityFeePerGas.signum() < 0) {
            throw new IllegalArgumentException("maxPriorityFeePerGas must not be negative, got " + maxPriorityFeePerGas);
        }
        if (maxPriorityFeePerGas.compareTo(maxFeePerGas) > 0) {
            throw new IllegalArgumentException("maxPriorityFeePerGas " + maxPriorityFeePerGas
                    + " exceeds maxFeePerGas " + maxFeePerGas);
        }
    }

    /** Whether both fields are at least those of {@code other}. */
    public boolean atLeast(Fees other) {
        return maxFeePerGas.compareTo(other.maxFeePerGas) >= 0
                && maxPriorityFeePerGas.compareTo(other.maxPriorityFeePerGas) >= 0;
    }
}

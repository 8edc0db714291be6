package dev.purser.wallet.tx;

import java.math.BigInteger;
import java.util.Objects;
import java.util.Optional;

/**
 * How the relayer prices its transactions.
 *
 * <ul>
 *   <li>A new transaction offers {@code maxFeePerGas = baseFee × baseFeeMultiplierPercent / 100 + tip}
 *       (rounded up), where {@code baseFee} is the latest block's and {@code tip} is the node's
 *       {@code eth_maxPriorityFeePerGas} (or {@code fallbackPriorityFeeWei} where the node has no such
 *       method), capped at {@code maxPriorityFeeWei}. The multiplier leaves room for the base fee to
 *       rise for a few blocks before the transaction is priced out.</li>
 *   <li>A replacement raises both fields by at least 12.5 % (rounded up, and by at least 1 wei), which
 *       every common client accepts as a replacement (geth needs 10 %), or to the market offer if
 *       that is higher.</li>
 *   <li>No transaction is ever signed with a {@code maxFeePerGas} above {@code maxFeePerGasCeilingWei}:
 *       when the offer would exceed it the sender waits and sends nothing, rather than overpay.</li>
 * </ul>
 *
 * @param baseFeeMultiplierPercent 100 to 1000; 200 doubles the base fee
 * @param fallbackPriorityFeeWei the tip offered when the node cannot suggest one; zero or more
 * @param maxPriorityFeeWei the largest tip ever offered; at least the fallback
 * @param maxFeePerGasCeilingWei the largest {@code maxFeePerGas} ever signed; positive
 */
public record FeePolicy(
        int baseFeeMultiplierPercent,
        BigInteger fallbackPriorityFeeWei,
        BigInteger maxPriorityFeeWei,
        BigInteger maxFeePerGasCeilingWei) {

    private static final BigInteger HUNDRED = BigInteger.valueOf(100);
    private static final BigInteger EIGHT = BigInteger.valueOf(8);

    public FeePolicy {
        Objects.requireNonNull(fallbackPriorityFeeWei, "fallbackPriorityFeeWei");
        Objects.requireNonNull(maxPriorityFeeWei, "maxPriorityFeeWei");
        Objects.requireNonNull(maxFeePerGasCeilingWei, "maxFeePerGasCeilingWei");
        if (baseFeeMultiplierPercent < 100 || baseFeeMultiplierPercent > 1000) {
            throw new IllegalArgumentException("base fee multiplier must be 100 to 1000 percent, got "
                    + baseFeeMultiplierPercent);
        }
        if (fallbackPriorityFeeWei.signum() < 0) {
            throw new IllegalArgumentException("fallback priority fee must not be negative");
        }
        if (maxPriorityFeeWei.compareTo(fallbackPriorityFeeWei) < 0) {
            throw new IllegalArgumentException("max priority fee must be at least the fallback priority fee");
        }
        if (maxFeePerGasCeilingWei.signum() <= 0) {
            throw new IllegalArgumentException("the max fee ceiling must be positive");
        }
        if (maxPriorityFeeWei.compareTo(maxFeePerGasCeilingWei) > 0) {
            throw new IllegalArgumentException("max priority fee must not exceed the max fee ceiling");
        }
    }

    /**
     * The fees to offer for a new transaction given the market, or empty if they would exceed the
     * ceiling (the caller then waits).
     *
     * @param baseFeeWei the latest block's base fee
     * @param suggestedPriorityFeeWei the node's suggested tip, or empty if it has none
     */
    public Optional<Fees> offer(BigInteger baseFeeWei, Optional<BigInteger> suggestedPriorityFeeWei) {
        Objects.requireNonNull(baseFeeWei, "baseFeeWei");
        BigInteger tip = suggestedPriorityFeeWei.orElse(fallbackPriorityFeeWei).min(maxPriorityFeeWei).max(BigInteger.ZERO);
        BigInteger scaledBase = ceilDiv(baseFeeWei.multiply(BigInteger.valueOf(baseFeeMultiplierPercent)), HUNDRED);
        BigInteger maxFee = scaledBase.add(tip);
        if (maxFee.signum() <= 0) {
            maxFee = BigInteger.ONE;
        }
        return withinCeiling(new Fees(maxFee, tip));
    }

    /**
     * The fees of a replacement for a transaction priced {@code previous}: both fields raised by at
     * least 12.5 % (rounded up), or to {@code market} where that is higher. Empty if the result
     * would exceed the ceiling (the caller then waits instead of replacing).
     */
    public Optional<Fees> bump(Fees previous, Optional<Fees> market) {
        Objects.requireNonNull(previous, "previous");
        BigInteger maxFee = bumped(previous.maxFeePerGas());
        BigInteger tip = bumped(previous.maxPriorityFeePerGas());
        if (market.isPresent()) {
            maxFee = maxFee.max(market.get().maxFeePerGas());
            tip = tip.max(market.get().maxPriorityFeePerGas());
        }
        return withinCeiling(new Fees(maxFee.max(tip), tip));
    }

    /** {@code value + max(1, ceil(value / 8))}: at least 12.5 % more, and always strictly more. */
    static BigInteger bumped(BigInteger value) {
        return value.add(ceilDiv(value, EIGHT).max(BigInteger.ONE));
    }

    private Optional<Fees> withinCeiling(Fees fees) {
        return fees.maxFeePerGas().compareTo(maxFeePerGasCeilingWei) <= 0 ? Optional.of(fees) : Optional.empty();
    }

    private static BigInteger ceilDiv(BigInteger a, BigInteger b) {
        BigInteger[] qr = a.divideAndRemainder(b);
        return qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    }
}

package dev.purser.wallet.tx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.math.BigInteger;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeePolicyTest {

    private static final BigInteger GWEI = BigInteger.valueOf(1_000_000_000L);
    private final FeePolicy policy = new FeePolicy(200, BigInteger.valueOf(7), GWEI.multiply(BigInteger.TWO),
            GWEI.multiply(BigInteger.valueOf(100)));

    @Test
    void offersTheBaseFeeTimesTheMultiplierPlusTheNodesTip() {
        Fees fees = policy.offer(GWEI, Optional.of(BigInteger.valueOf(1_500_000_000L))).orElseThrow();

        assertThat(fees.maxPriorityFeePerGas()).isEqualTo(1_500_000_000L);
        assertThat(fees.maxFeePerGas()).isEqualTo(2_000_000_000L + 1_500_000_000L);
    }

    @Test
    void fallsBackToTheConfiguredTipAndCapsTheNodesTip() {
        assertThat(policy.offer(GWEI, Optional.empty()).orElseThrow().maxPriorityFeePerGas()).isEqualTo(7);
        assertThat(policy.offer(GWEI, Optional.of(GWEI.multiply(BigInteger.TEN))).orElseThrow().maxPriorityFeePerGas())
                .isEqualTo(GWEI.multiply(BigInteger.TWO));
    }

    @Test
    void roundsTheScaledBaseFeeUp() {
        FeePolicy oneAndAHalf = new FeePolicy(150, BigInteger.ZERO, BigInteger.ONE, GWEI);

        assertThat(oneAndAHalf.offer(BigInteger.valueOf(3), Optional.of(BigInteger.ZERO)).orElseThrow().maxFeePerGas())
                .isEqualTo(5);
    }

    @Test
    void offersNothingAboveTheCeiling() {
        BigInteger base = GWEI.multiply(BigInteger.valueOf(50));

        assertThat(policy.offer(base, Optional.of(BigInteger.ONE))).as("2 x 50 gwei + 1 wei > 100 gwei").isEmpty();
        assertThat(policy.offer(base.subtract(BigInteger.ONE), Optional.of(BigInteger.ONE))).isPresent();
    }

    @Test
    void bumpsBothFieldsByAtLeastAnEighthRoundedUp() {
        Fees previous = new Fees(BigInteger.valueOf(1_000_000_001L), BigInteger.valueOf(9));

        Fees bumped = policy.bump(previous, Optional.empty()).orElseThrow();

        assertThat(bumped.maxFeePerGas()).isEqualTo(1_000_000_001L + 125_000_001L);
        assertThat(bumped.maxPriorityFeePerGas()).isEqualTo(9 + 2);
    }

    @Test
    void bumpsAZeroTipByOneWei() {
        Fees bumped = policy.bump(new Fees(BigInteger.TEN, BigInteger.ZERO), Optional.empty()).orElseThrow();

        assertThat(bumped.maxPriorityFeePerGas()).isEqualTo(1);
        assertThat(bumped.maxFeePerGas()).isEqualTo(12);
    }

    @Test
    void bumpsToTheMarketWhenTheMarketIsHigher() {
        Fees market = new Fees(GWEI.multiply(BigInteger.TEN), GWEI);

        assertThat(policy.bump(new Fees(GWEI, BigInteger.ONE), Optional.of(market))).contains(market);
    }

    @Test
    void refusesABumpAboveTheCeiling() {
        Fees nearCeiling = new Fees(GWEI.multiply(BigInteger.valueOf(90)), GWEI);

        assertThat(policy.bump(nearCeiling, Optional.empty())).isEmpty();
    }

    @Test
    void everyBumpIsAtLeastTwelveAndAHalfPercentOnBothFields() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        FeePolicy unbounded = new FeePolicy(100, BigInteger.ZERO, BigInteger.ZERO, BigInteger.valueOf(Long.MAX_VALUE));
        for (int i = 0; i < 10_000; i++) {
            long tip = random.nextLong(1_000_000_000_000L);
            long max = tip + 1 + random.nextLong(1_000_000_000_000L);
            Fees bumped = unbounded.bump(new Fees(BigInteger.valueOf(max), BigInteger.valueOf(tip)), Optional.empty())
                    .orElseThrow();
            // 8 x new >= 9 x old is "at least 12.5 % more" without rounding.
            assertThat(bumped.maxFeePerGas().multiply(BigInteger.valueOf(8)))
                    .as("seed %d, max fee %d", seed, max).isGreaterThanOrEqualTo(BigInteger.valueOf(max).multiply(BigInteger.valueOf(9)));
            assertThat(bumped.maxPriorityFeePerGas().multiply(BigInteger.valueOf(8)))
                    .as("seed %d, tip %d", seed, tip).isGreaterThanOrEqualTo(BigInteger.valueOf(tip).multiply(BigInteger.valueOf(9)));
            assertThat(bumped.maxPriorityFeePerGas()).as("seed %d", seed).isGreaterThan(BigInteger.valueOf(tip));
        }
    }

    @Test
    void refusesInconsistentPolicies() {
        assertThatIllegalArgumentException().isThrownBy(() -> new FeePolicy(99, BigInteger.ZERO, BigInteger.ONE, GWEI));
        assertThatIllegalArgumentException().isThrownBy(() -> new FeePolicy(200, BigInteger.TEN, BigInteger.ONE, GWEI));
        assertThatIllegalArgumentException().isThrownBy(() -> new FeePolicy(200, BigInteger.ZERO, GWEI.add(BigInteger.ONE), GWEI));
        assertThatIllegalArgumentException().isThrownBy(() -> new Fees(BigInteger.ONE, BigInteger.TWO));
    }
}

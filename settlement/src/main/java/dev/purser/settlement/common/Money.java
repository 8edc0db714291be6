package dev.purser.settlement.common;

import java.math.BigInteger;

/**
 * An amount of USDC as micro-USDC in a {@code long} (1 USDC = 1_000_000). Never negative. Parses
 * the API's decimal strings exactly ({@code "0.08"}, {@code "12.5"}, {@code "3"}: no sign, no
 * exponent, at most 6 fraction digits) and formats the shortest exact form. Arithmetic overflows
 * loudly instead of wrapping. No floating point anywhere.
 */
public record Money(long micros) implements Comparable<Money> {

    public static final Money ZERO = new Money(0);
    public static final long MICROS_PER_USDC = 1_000_000L;
    /** The largest amount the API accepts: far above any real spend, far below overflow. */
    public static final Money MAX = new Money(1_000_000_000_000L * MICROS_PER_USDC);
    private static final int MAX_TEXT_LENGTH = 32;

    public Money {
        if (micros < 0) {
            throw new IllegalArgumentException("money cannot be negative: " + micros + " micros");
        }
    }

    public static Money ofMicros(long micros) {
        return new Money(micros);
    }

    /** Whole USDC, for tests and configuration. */
    public static Money usdc(long whole) {
        return new Money(Math.multiplyExact(whole, MICROS_PER_USDC));
    }

    /**
     * Parses an API amount. Throws {@link IllegalArgumentException} with a human sentence for
     * anything that is not a plain non-negative decimal with at most 6 fraction digits.
     */
    public static Money parse(String text) {
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("an amount is a decimal string such as \"12.5\"");
        }
        int dot = text.indexOf('.');
        String whole = dot < 0 ? text : text.substring(0, dot);
        String fraction = dot < 0 ? "" : text.substring(dot + 1);
        if (whole.isEmpty() || !digits(whole) || (dot >= 0 && (fraction.isEmpty() || !digits(fraction)))) {
            throw new IllegalArgumentException("an amount is a plain decimal string: digits, at most one point, no sign or exponent");
        }
        if (fraction.length() > 6) {
            throw new IllegalArgumentException("an amount has at most 6 digits after the point (1 micro-USDC)");
        }
        BigInteger micros = new BigInteger(whole).multiply(BigInteger.valueOf(MICROS_PER_USDC))
                .add(fraction.isEmpty() ? BigInteger.ZERO : new BigInteger((fraction + "000000").substring(0, 6)));
        if (micros.compareTo(BigInteger.valueOf(MAX.micros)) > 0) {
            throw new IllegalArgumentException("an amount cannot exceed " + MAX);
        }
        return new Money(micros.longValueExact());
    }

    private static boolean digits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    public boolean isZero() {
        return micros == 0;
    }

    public Money plus(Money other) {
        return new Money(Math.addExact(micros, other.micros));
    }

    /** Subtracts, refusing to go below zero. */
    public Money minus(Money other) {
        return new Money(Math.subtractExact(micros, other.micros));
    }

    /** Subtracts, stopping at zero. */
    public Money minusOrZero(Money other) {
        return micros >= other.micros ? new Money(micros - other.micros) : ZERO;
    }

    public boolean greaterThan(Money other) {
        return micros > other.micros;
    }

    public BigInteger toBigInteger() {
        return BigInteger.valueOf(micros);
    }

    public static Money fromBigInteger(BigInteger micros) {
        return new Money(micros.longValueExact());
    }

    /**
     * Any amount of micro-USDC as the API writes amounts, even one no Money can hold (a token's
     * uint256 value, or a negative index sum): {@code "-1.5"}, {@code "123456789012345678901"}.
     */
    public static String format(BigInteger micros) {
        return new java.math.BigDecimal(micros).movePointLeft(6).stripTrailingZeros().toPlainString();
    }

    @Override
    public int compareTo(Money o) {
        return Long.compare(micros, o.micros);
    }

    /** The shortest exact decimal: {@code "1.5"}, {@code "0.000001"}, {@code "3"}. */
    @Override
    public String toString() {
        long whole = micros / MICROS_PER_USDC;
        long fraction = micros % MICROS_PER_USDC;
        if (fraction == 0) {
            return Long.toString(whole);
        }
        String f = String.format("%06d", fraction);
        int end = f.length();
        while (f.charAt(end - 1) == '0') {
            end--;
        }
        return whole + "." + f.substring(0, end);
    }
}

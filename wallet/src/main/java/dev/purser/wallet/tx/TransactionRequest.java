package dev.purser.wallet.tx;

import dev.purser.wallet.Addresses;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A transaction the relayer is asked to send: a call (or plain transfer) with the caller's own
 * idempotency reference. Fees and nonce are the sender's business.
 *
 * @param reference the caller's unique name for this transaction (e.g. {@code "settlement-batch:42"}):
 *     sending the same reference again returns the transaction already stored instead of a second
 *     one, so a caller that crashed after {@code send} can safely send again. 1 to 128 printable
 *     ASCII characters.
 * @param to the called contract or the recipient; stored EIP-55 checksummed
 * @param valueWei ETH to send with it, in wei, zero or more
 * @param data the call data, {@code 0x} and an even number of hex digits (stored lowercase), at most
 *     {@link #MAX_DATA_BYTES} bytes
 * @param gasLimit the gas limit, from 21,000 to {@link #MAX_GAS_LIMIT}; the caller estimates it
 */
public record TransactionRequest(String reference, String to, BigInteger valueWei, String data, long gasLimit) {

    /** Largest call data accepted: well above a 100-item BatchSettler call (about 29 KiB). */
    public static final int MAX_DATA_BYTES = 128 * 1024;
    /** Intrinsic gas of any transaction. */
    public static final long MIN_GAS_LIMIT = 21_000;
    /** Largest gas limit accepted: a whole 30M block. */
    public static final long MAX_GAS_LIMIT = 30_000_000;

    private static final int MAX_REFERENCE_LENGTH = 128;
    private static final Pattern REFERENCE = Pattern.compile("[\\x21-\\x7e]{1," + MAX_REFERENCE_LENGTH + "}");
    private static final Pattern HEX_DATA = Pattern.compile("0x([0-9a-fA-F]{2})*");

    public TransactionRequest {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(valueWei, "valueWei");
        Objects.requireNonNull(data, "data");
        if (!REFERENCE.matcher(reference).matches()) {
            throw new IllegalArgumentException("reference must be 1 to " + MAX_REFERENCE_LENGTH
                    + " printable ASCII characters without spaces");
        }
        to = Addresses.checksummed(to, "to");
        if (valueWei.signum() < 0) {
            throw new IllegalArgumentException("value must not be negative, got " + valueWei + " wei");
        }
        if ((data.length() - 2) / 2 > MAX_DATA_BYTES) {
            throw new IllegalArgumentException("data is " + (data.length() - 2) / 2 + " bytes; at most "
                    + MAX_DATA_BYTES + " are accepted");
        }
        if (!HEX_DATA.matcher(data).matches()) {
            throw new IllegalArgumentException("data must be 0x followed by an even number of hex digits");
        }
        data = data.toLowerCase(Locale.ROOT);
        if (gasLimit < MIN_GAS_LIMIT || gasLimit > MAX_GAS_LIMIT) {
            throw new IllegalArgumentException("gas limit must be between " + MIN_GAS_LIMIT + " and " + MAX_GAS_LIMIT
                    + ", got " + gasLimit);
        }
    }

    /** A plain ETH transfer of {@code valueWei} to {@code to} (21,000 gas). */
    public static TransactionRequest transfer(String reference, String to, BigInteger valueWei) {
        return new TransactionRequest(reference, to, valueWei, "0x", MIN_GAS_LIMIT);
    }

    @Override
    public String toString() {
        // Call data can be tens of KiB; the log line needs only its size.
        return "TransactionRequest[" + reference + " to " + to + ", " + valueWei + " wei, "
                + (data.length() - 2) / 2 + " bytes of data, gas " + gasLimit + "]";
    }
}

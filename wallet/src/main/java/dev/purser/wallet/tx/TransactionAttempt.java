package dev.purser.wallet.tx;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One signed transaction at a nonce. A nonce has one {@link AttemptKind#ORIGINAL} attempt and
 * possibly replacements; at most one of them is ever mined.
 *
 * @param number 0 for the original, then 1, 2, … in the order they were signed
 * @param kind why it was signed
 * @param txHash its transaction hash, {@code 0x} and 64 lowercase hex digits
 * @param fees its fee fields
 * @param signedRaw the exact bytes broadcast (and rebroadcast after a restart); at most 256 KiB
 * @param createdAt when it was signed and stored
 * @param reason why a replacement or cancellation was made; empty for the original
 */
public record TransactionAttempt(
        int number,
        AttemptKind kind,
        String txHash,
        Fees fees,
        byte[] signedRaw,
        Instant createdAt,
        Optional<String> reason) {

    private static final int MAX_RAW_BYTES = 256 * 1024;
    private static final int MAX_REASON_LENGTH = 500;
    private static final Pattern HASH = Pattern.compile("0x[0-9a-f]{64}");

    public TransactionAttempt {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(txHash, "txHash");
        Objects.requireNonNull(fees, "fees");
        Objects.requireNonNull(signedRaw, "signedRaw");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(reason, "reason");
        if (number < 0) {
            throw new IllegalArgumentException("attempt number must not be negative, got " + number);
        }
        if ((number == 0) != (kind == AttemptKind.ORIGINAL)) {
            throw new IllegalArgumentException("attempt 0 and only attempt 0 is the original, got " + kind + " as " + number);
        }
        if (!HASH.matcher(txHash).matches()) {
            throw new IllegalArgumentException("tx hash must be 0x and 64 lowercase hex digits");
        }
        if (signedRaw.length == 0 || signedRaw.length > MAX_RAW_BYTES) {
            throw new IllegalArgumentException("a signed transaction must be 1 to " + MAX_RAW_BYTES + " bytes");
        }
        signedRaw = signedRaw.clone();
        reason = reason.map(r -> r.length() > MAX_REASON_LENGTH ? r.substring(0, MAX_REASON_LENGTH) : r);
    }

    /** A copy of the signed bytes. */
    @Override
    public byte[] signedRaw() {
        return signedRaw.clone();
    }

    /** The signed bytes as {@code 0x}-prefixed hex, as {@code eth_sendRawTransaction} takes them. */
    public String signedRawHex() {
        return "0x" + HexFormat.of().formatHex(signedRaw);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransactionAttempt other
                && number == other.number
                && kind == other.kind
                && txHash.equals(other.txHash)
                && fees.equals(other.fees)
                && Arrays.equals(signedRaw, other.signedRaw)
                && createdAt.equals(other.createdAt)
                && reason.equals(other.reason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(number, kind, txHash);
    }

    @Override
    public String toString() {
        return "TransactionAttempt[#" + number + " " + kind + " " + txHash + ", " + fees + ", " + signedRaw.length
                + " bytes, " + createdAt + reason.map(r -> ", " + r).orElse("") + "]";
    }
}

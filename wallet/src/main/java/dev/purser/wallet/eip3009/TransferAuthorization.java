package dev.purser.wallet.eip3009;

import dev.purser.wallet.Addresses;
import java.util.Objects;

/**
 * The message of an EIP-3009 {@code transferWithAuthorization}: {@code from} lets anyone submit a
 * transfer of {@code valueMicros} to {@code to}, valid strictly between the two times, once, under
 * {@code nonce}.
 *
 * @param from the payer (the agent wallet that signs); stored EIP-55 checksummed
 * @param to the payee; stored EIP-55 checksummed
 * @param valueMicros the amount in the token's smallest unit (micro-USDC), positive
 * @param validAfterEpochSeconds the transfer is valid only in blocks with a timestamp strictly greater
 * @param validBeforeEpochSeconds the transfer is valid only in blocks with a timestamp strictly smaller
 * @param nonce the 32-byte nonce; the token refuses a second use of it by {@code from}. For a Purser
 *     settlement it is the Merkle root of the settled authorizations (DESIGN.md).
 */
public record TransferAuthorization(
        String from,
        String to,
        long valueMicros,
        long validAfterEpochSeconds,
        long validBeforeEpochSeconds,
        Bytes32 nonce) {

    public TransferAuthorization {
        from = Addresses.checksummed(from, "from");
        to = Addresses.checksummed(to, "to");
        Objects.requireNonNull(nonce, "nonce");
        if (valueMicros <= 0) {
            throw new IllegalArgumentException("value must be positive, got " + valueMicros + " micros");
        }
        if (validAfterEpochSeconds < 0) {
            throw new IllegalArgumentException("validAfter must not be negative, got " + validAfterEpochSeconds);
        }
        if (validBeforeEpochSeconds <= validAfterEpochSeconds) {
            throw new IllegalArgumentException("validBefore (" + validBeforeEpochSeconds
                    + ") must be after validAfter (" + validAfterEpochSeconds + ")");
        }
        if (from.equals(to)) {
            throw new IllegalArgumentException("from and to are the same address " + from);
        }
    }

    /** The same authorization with another value; tests use it to show that a tampered field is refused. */
    public TransferAuthorization withValueMicros(long newValueMicros) {
        return new TransferAuthorization(from, to, newValueMicros, validAfterEpochSeconds, validBeforeEpochSeconds, nonce);
    }
}

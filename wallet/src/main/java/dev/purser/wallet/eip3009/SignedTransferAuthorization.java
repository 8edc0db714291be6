package dev.purser.wallet.eip3009;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A {@link TransferAuthorization} with its signature by {@code from}, ready for
 * {@code transferWithAuthorization(from, to, value, validAfter, validBefore, nonce, v, r, s)} or a
 * BatchSettler item.
 *
 * @param authorization the signed message
 * @param v 27 or 28
 * @param r the signature's r
 * @param s the signature's s, in the lower half of the curve order as FiatToken requires
 */
public record SignedTransferAuthorization(TransferAuthorization authorization, int v, Bytes32 r, Bytes32 s) {

    // secp256k1n / 2: FiatToken refuses a signature with a higher s (a malleable copy).
    private static final BigInteger HALF_CURVE_ORDER =
            new BigInteger("7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0", 16);

    public SignedTransferAuthorization {
        Objects.requireNonNull(authorization, "authorization");
        Objects.requireNonNull(r, "r");
        Objects.requireNonNull(s, "s");
        if (v != 27 && v != 28) {
            throw new IllegalArgumentException("v must be 27 or 28, got " + v);
        }
        if (new BigInteger(1, s.toArray()).compareTo(HALF_CURVE_ORDER) > 0) {
            throw new IllegalArgumentException("s is in the upper half of the curve order; the token refuses it");
        }
    }

    /** The 65-byte signature r ‖ s ‖ v. */
    public byte[] signature65() {
        byte[] out = new byte[65];
        System.arraycopy(r.toArray(), 0, out, 0, 32);
        System.arraycopy(s.toArray(), 0, out, 32, 32);
        out[64] = (byte) v;
        return out;
    }
}

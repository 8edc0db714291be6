package dev.purser.wallet.keys;

import java.math.BigInteger;
import java.util.Objects;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECMultiplier;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.Sign;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.crypto.transaction.type.Transaction1559;
import org.web3j.crypto.transaction.type.TransactionType;
import org.web3j.utils.Numeric;

/**
 * A {@link Signer} over a secp256k1 key held in this process's memory. The key pair is private to
 * the instance: no method returns it and {@link #toString()} shows only the address.
 */
public final class LocalSigner implements Signer {

    private static final Pattern PRIVATE_KEY_HEX = Pattern.compile("(0x)?[0-9a-fA-F]{64}");
    // secp256k1's group order: a private key must lie in [1, n - 1].
    private static final BigInteger CURVE_ORDER = Sign.CURVE_PARAMS.getN();
    private static final BigInteger HALF_CURVE_ORDER = CURVE_ORDER.shiftRight(1);
    private static final ECMultiplier BASE_POINT_MULTIPLIER = new FixedPointCombMultiplier();

    private final ECKeyPair keyPair;
    private final String address;

    LocalSigner(ECKeyPair keyPair) {
        this.keyPair = Objects.requireNonNull(keyPair, "keyPair");
        this.address = Keys.toChecksumAddress(Keys.getAddress(keyPair.getPublicKey()));
    }

    /**
     * A signer over a raw private key given as 64 hex digits (with or without {@code 0x}); meant for
     * well-known development keys such as Ganache's accounts and {@code PURSER_LOCAL_FUNDER_KEY}.
     *
     * @throws IllegalArgumentException if the text is not a valid secp256k1 private key; the message
     *     never repeats it
     */
    public static LocalSigner fromPrivateKeyHex(String privateKeyHex) {
        Objects.requireNonNull(privateKeyHex, "private key");
        if (!PRIVATE_KEY_HEX.matcher(privateKeyHex).matches()) {
            throw new IllegalArgumentException("a private key must be 32 bytes written as 64 hex digits");
        }
        String digits = privateKeyHex.startsWith("0x") ? privateKeyHex.substring(2) : privateKeyHex;
        BigInteger secret = new BigInteger(digits, 16);
        if (secret.signum() == 0 || secret.compareTo(CURVE_ORDER) >= 0) {
            throw new IllegalArgumentException("the private key is outside the secp256k1 key range");
        }
        return new LocalSigner(ECKeyPair.create(secret));
    }

    @Override
    public String address() {
        return address;
    }

    /**
     * {@inheritDoc}
     *
     * <p>This is the computation of web3j's {@code Sign.signMessage(digest, key, false)} and of
     * BouncyCastle's ECDSASigner (RFC 6979 nonce from HMAC-SHA256, fixed-point comb
     * multiplication, constant-time inversion), with one difference: the recovery id is read from
     * the parity of the point R = kG while it is at hand, where web3j recovers the public key up to
     * four times to find it. That saves two to eight elliptic-curve multiplications per signature;
     * the signatures are identical (the tests compare both, and pin the shared vectors).
     */
    @Override
    public Sign.SignatureData signDigest(byte[] digest32) {
        Objects.requireNonNull(digest32, "digest");
        if (digest32.length != 32) {
            throw new IllegalArgumentException("a digest must be 32 bytes, got " + digest32.length);
        }
        BigInteger d = keyPair.getPrivateKey();
        BigInteger e = new BigInteger(1, digest32);
        HMacDSAKCalculator nonces = new HMacDSAKCalculator(new SHA256Digest());
        nonces.init(CURVE_ORDER, d, digest32);
        // RFC 6979 yields a usable k at once except with negligible probability; the bound is a limit,
        // not an expected path.
        for (int attempt = 0; attempt < 64; attempt++) {
            BigInteger k = nonces.nextK();
            ECPoint point = BASE_POINT_MULTIPLIER.multiply(Sign.CURVE_PARAMS.getG(), k).normalize();
            BigInteger x = point.getAffineXCoord().toBigInteger();
            BigInteger r = x.mod(CURVE_ORDER);
            if (r.signum() == 0) {
                continue;
            }
            BigInteger s = BigIntegers.modOddInverse(CURVE_ORDER, k).multiply(e.add(d.multiply(r))).mod(CURVE_ORDER);
            if (s.signum() == 0) {
                continue;
            }
            int recoveryId = (point.getAffineYCoord().testBitZero() ? 1 : 0) | (x.compareTo(CURVE_ORDER) >= 0 ? 2 : 0);
            if (s.compareTo(HALF_CURVE_ORDER) > 0) {
                // Canonical low s (EIP-2, and FiatToken refuses a high s): -s pairs with -R, whose y
                // parity is the opposite.
                s = CURVE_ORDER.subtract(s);
                recoveryId ^= 1;
            }
            return new Sign.SignatureData(
                    (byte) (27 + recoveryId), Numeric.toBytesPadded(r, 32), Numeric.toBytesPadded(s, 32));
        }
        throw new IllegalStateException("no valid ECDSA nonce found; the key or digest is degenerate");
    }

    /**
     * {@inheritDoc}
     *
     * <p>Legacy (EIP-155) and EIP-1559 transactions are signed, with the same bytes as web3j's
     * {@code TransactionEncoder.signMessage}; other types are refused.
     */
    @Override
    public byte[] signTransaction(RawTransaction transaction, long chainId) {
        Objects.requireNonNull(transaction, "transaction");
        if (chainId <= 0) {
            throw new IllegalArgumentException("chain id must be positive, got " + chainId);
        }
        TransactionType type = transaction.getType();
        if (type == TransactionType.EIP1559) {
            long txChainId = ((Transaction1559) transaction.getTransaction()).getChainId();
            if (txChainId != chainId) {
                throw new IllegalArgumentException("the transaction is for chain " + txChainId + " but chain " + chainId
                        + " was asked for");
            }
            // The typed envelope carries its chain id; v is the bare recovery id, which web3j's
            // encoder derives from the 27/28 that signDigest returns.
            Sign.SignatureData signature = signDigest(Hash.sha3(TransactionEncoder.encode(transaction)));
            return TransactionEncoder.encode(transaction, signature);
        }
        if (type == TransactionType.LEGACY) {
            Sign.SignatureData signature = signDigest(Hash.sha3(TransactionEncoder.encode(transaction, chainId)));
            return TransactionEncoder.encode(transaction, TransactionEncoder.createEip155SignatureData(signature, chainId));
        }
        throw new IllegalArgumentException("only legacy and EIP-1559 transactions are signed, not " + type);
    }

    @Override
    public String toString() {
        return "LocalSigner[" + address + ", key redacted]";
    }
}

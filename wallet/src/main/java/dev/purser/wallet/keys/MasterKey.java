package dev.purser.wallet.keys;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The deployment's master key ({@code PURSER_MASTER_KEY}): 32 random bytes that encrypt the
 * wallet seed at rest with AES-256-GCM.
 *
 * <p>Contract: it is parsed from standard base64 and refuses anything that is not exactly 32
 * bytes, with a message that never repeats the input. It never prints itself ({@link #toString()}
 * is redacted) and its bytes leave it only through {@link #exportBase64()}, which exists for the
 * local profile that writes a generated key into its data directory.
 */
public final class MasterKey {

    /** Length of an AES-256 key. */
    public static final int LENGTH_BYTES = 32;

    // Generous bound on the text form (44 characters plus whitespace) so a huge input is refused
    // before it is decoded.
    private static final int MAX_TEXT_LENGTH = 256;

    private final byte[] key;

    private MasterKey(byte[] key) {
        this.key = key;
    }

    /**
     * Parses a base64 (RFC 4648, standard alphabet, padding optional) master key.
     *
     * @throws IllegalArgumentException if the text is not base64 or does not decode to 32 bytes;
     *     the message names the problem, never the value
     */
    public static MasterKey fromBase64(String base64) {
        Objects.requireNonNull(base64, "master key");
        String trimmed = base64.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("the master key is empty: expected 32 bytes encoded in base64");
        }
        if (trimmed.length() > MAX_TEXT_LENGTH) {
            throw new IllegalArgumentException("the master key is too long (" + trimmed.length()
                    + " characters): expected 32 bytes encoded in base64 (44 characters)");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(trimmed);
        } catch (IllegalArgumentException e) {
            // The decoder's own message quotes the offending character; say only what is wrong.
            throw new IllegalArgumentException("the master key is not valid base64: expected 32 bytes encoded in base64");
        }
        if (decoded.length != LENGTH_BYTES) {
            int length = decoded.length;
            Arrays.fill(decoded, (byte) 0);
            throw new IllegalArgumentException("the master key decodes to " + length
                    + " bytes; expected exactly 32 bytes (AES-256) encoded in base64");
        }
        return new MasterKey(decoded);
    }

    /** A fresh random master key, for the local profile's first start and for tests. */
    public static MasterKey generate(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        byte[] key = new byte[LENGTH_BYTES];
        random.nextBytes(key);
        return new MasterKey(key);
    }

    /**
     * The key in base64, for writing a generated key to the local profile's key file. Never log
     * the result.
     */
    public String exportBase64() {
        return Base64.getEncoder().encodeToString(key);
    }

    /** The key as a JCA AES key; package-private so that only the seed envelope uses it. */
    SecretKey aesKey() {
        return new SecretKeySpec(key, "AES");
    }

    /** Raw bytes for the key-check value; package-private, never returned to callers. */
    byte[] bytes() {
        return key.clone();
    }

    /** Constant-time comparison, so that tests and callers can compare keys without exporting them. */
    @Override
    public boolean equals(Object o) {
        return o instanceof MasterKey other && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        // A constant: a hash derived from the key would leak bits of it into hash-based structures.
        return MasterKey.class.hashCode();
    }

    @Override
    public String toString() {
        return "MasterKey[redacted]";
    }
}

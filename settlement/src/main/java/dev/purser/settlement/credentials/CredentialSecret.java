package dev.purser.settlement.credentials;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;

/**
 * A credential's secret, {@code psr_<scope>_} followed by 43 base64url characters (256 random
 * bits). It never prints itself; only {@link #reveal()} gives the text, for the one response that
 * shows it. The service stores only {@link #sha256()}.
 */
public final class CredentialSecret {

    private static final int RANDOM_BYTES = 32;
    private static final int MAX_LENGTH = 200;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final String value;

    private CredentialSecret(String value) {
        this.value = value;
    }

    /** A fresh secret for {@code scope} from {@code random}. */
    public static CredentialSecret generate(String scope, SecureRandom random) {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return new CredentialSecret("psr_" + scope + "_" + ENCODER.encodeToString(bytes));
    }

    /**
     * Parses a presented secret; returns null for anything that cannot be a Purser secret, so
     * that a malformed bearer token costs no database round trip.
     */
    public static CredentialSecret parseOrNull(String presented) {
        if (presented == null || presented.length() > MAX_LENGTH || !presented.startsWith("psr_")) {
            return null;
        }
        return new CredentialSecret(presented);
    }

    /** The scope named in the secret's prefix, e.g. {@code admin} for {@code psr_admin_…}. */
    public String scopePrefix() {
        int end = value.indexOf('_', 4);
        return end < 0 ? "" : value.substring(4, end);
    }

    /** Whether the part after the prefix carries at least 256 bits as base64url. */
    public boolean hasFullEntropy() {
        int end = value.indexOf('_', 4);
        String body = end < 0 ? "" : value.substring(end + 1);
        return body.length() >= 43 && body.matches("[A-Za-z0-9_-]+");
    }

    public byte[] sha256() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The secret itself: only for the single response that shows it to its owner. */
    public String reveal() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CredentialSecret other && MessageDigest.isEqual(sha256(), other.sha256());
    }

    @Override
    public int hashCode() {
        return Objects.hash(value.length());
    }

    @Override
    public String toString() {
        return "CredentialSecret[psr_" + scopePrefix() + "_<redacted>]";
    }
}

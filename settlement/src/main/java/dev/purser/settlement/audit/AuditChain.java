package dev.purser.settlement.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.format.DateTimeFormatter;

/**
 * The audit log's hash chain: hash = SHA-256(prev_hash ‖ canonical line), where the canonical
 * line joins every column with a unit separator. The first row's prev_hash is 32 zero bytes.
 */
public final class AuditChain {

    public static final byte[] GENESIS = new byte[32];
    private static final char SEPARATOR = '\u001f';

    private AuditChain() {}

    public static byte[] hash(AuditEntry e) {
        StringBuilder line = new StringBuilder(256)
                .append(e.seq()).append(SEPARATOR)
                .append(e.id()).append(SEPARATOR)
                .append(DateTimeFormatter.ISO_INSTANT.format(e.at())).append(SEPARATOR)
                .append(e.type()).append(SEPARATOR)
                .append(nullable(e.actorCredentialId())).append(SEPARATOR)
                .append(nullable(e.actorScope())).append(SEPARATOR)
                .append(nullable(e.agentId())).append(SEPARATOR)
                .append(e.subject()).append(SEPARATOR)
                .append(e.dataJson());
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(e.prevHash());
            return sha.digest(line.toString().getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
        }
    }

    private static String nullable(String s) {
        return s == null ? "\u2400" : s;
    }
}

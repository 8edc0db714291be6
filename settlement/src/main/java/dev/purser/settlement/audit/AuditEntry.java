package dev.purser.settlement.audit;

import java.time.Instant;

/** One row of the audit log, exactly as hashed. */
public record AuditEntry(long seq, String id, Instant at, String type, String actorCredentialId, String actorScope,
        String agentId, String subject, String dataJson, byte[] prevHash, byte[] hash) {

    AuditEntry withHash(byte[] newHash) {
        return new AuditEntry(seq, id, at, type, actorCredentialId, actorScope, agentId, subject, dataJson, prevHash, newHash);
    }
}

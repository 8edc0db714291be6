package dev.purser.settlement.credentials;

import dev.purser.settlement.common.Money;
import dev.purser.settlement.web.Scope;
import java.time.Instant;
import java.util.List;

/**
 * A credential and its caps. Agent credentials carry a per-transaction limit and a daily limit,
 * and optionally a merchant allowlist, an approval threshold, a velocity limit and an expiry.
 */
public record Credential(String id, String agentId, Scope scope, String label, Instant revokedAt,
        Money perTransactionLimit, Money dailyLimit, List<String> merchantAllowlist, Money approvalThreshold,
        Integer maxAuthorizationsPerMinute, Instant expiresAt, Instant createdAt) {

    /** {@code active}, {@code revoked} or {@code expired} at {@code now}. */
    public String status(Instant now) {
        if (revokedAt != null) {
            return "revoked";
        }
        if (expiresAt != null && !expiresAt.isAfter(now)) {
            return "expired";
        }
        return "active";
    }

    public boolean usable(Instant now) {
        return status(now).equals("active");
    }
}

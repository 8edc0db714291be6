package dev.purser.settlement.credentials;

import dev.purser.settlement.common.Money;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** The caps of a new agent credential, validated at construction. */
public record NewAgentCredential(String label, Money perTransactionLimit, Money dailyLimit, List<String> merchantAllowlist,
        Money approvalThreshold, Integer maxAuthorizationsPerMinute, Instant expiresAt) {

    public NewAgentCredential {
        Objects.requireNonNull(perTransactionLimit, "perTransactionLimit");
        Objects.requireNonNull(dailyLimit, "dailyLimit");
        label = label == null ? "" : label;
        merchantAllowlist = merchantAllowlist == null ? null : List.copyOf(merchantAllowlist);
    }
}

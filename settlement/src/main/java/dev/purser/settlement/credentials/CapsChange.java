package dev.purser.settlement.credentials;

import dev.purser.settlement.common.Money;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A PATCH of a credential's caps. A field that is {@code null} here is left unchanged; an
 * {@code Optional.empty()} clears an optional cap.
 */
public record CapsChange(String label, Money perTransactionLimit, Money dailyLimit,
        Optional<List<String>> merchantAllowlist, Optional<Money> approvalThreshold,
        Optional<Integer> maxAuthorizationsPerMinute, Optional<Instant> expiresAt) {}

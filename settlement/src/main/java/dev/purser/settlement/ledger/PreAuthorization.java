package dev.purser.settlement.ledger;

import dev.purser.settlement.common.Money;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/** A request to hold {@code amount} for a spend at {@code merchant}, validated at construction. */
public record PreAuthorization(Money amount, String merchant, String purpose, Map<String, String> metadata,
        Duration expiresIn) {

    public static final Duration EXPIRES_IN_MIN = Duration.ofSeconds(60);
    public static final Duration EXPIRES_IN_MAX = Duration.ofDays(7);
    public static final Duration EXPIRES_IN_DEFAULT = Duration.ofSeconds(900);

    public PreAuthorization {
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(merchant, "merchant");
        if (amount.isZero()) {
            throw new IllegalArgumentException("an authorization amount must be greater than zero");
        }
        expiresIn = expiresIn == null ? EXPIRES_IN_DEFAULT : expiresIn;
        if (expiresIn.compareTo(EXPIRES_IN_MIN) < 0 || expiresIn.compareTo(EXPIRES_IN_MAX) > 0) {
            throw new IllegalArgumentException("expires_in must be between 60 and 604800 seconds");
        }
        metadata = metadata == null ? null : Map.copyOf(metadata);
    }
}

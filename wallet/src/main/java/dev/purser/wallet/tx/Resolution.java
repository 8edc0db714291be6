package dev.purser.wallet.tx;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How a relayed transaction ended.
 *
 * @param status a final status
 * @param inclusion where the mined attempt is; present for MINED, REVERTED and CANCELED, absent for
 *     NONCE_CONSUMED_ELSEWHERE
 * @param reason a sentence an operator can act on; required for NONCE_CONSUMED_ELSEWHERE and CANCELED
 * @param resolvedAt when the sender found out
 */
public record Resolution(TransactionStatus status, Optional<Inclusion> inclusion, Optional<String> reason, Instant resolvedAt) {

    public Resolution {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(inclusion, "inclusion");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(resolvedAt, "resolvedAt");
        switch (status) {
            case PENDING -> throw new IllegalArgumentException("a resolution has a final status");
            case MINED, REVERTED -> require(inclusion.isPresent(), status + " needs the inclusion");
            case CANCELED -> require(inclusion.isPresent() && reason.isPresent(), "CANCELED needs inclusion and reason");
            case NONCE_CONSUMED_ELSEWHERE -> require(inclusion.isEmpty() && reason.isPresent(),
                    "NONCE_CONSUMED_ELSEWHERE has a reason and no inclusion");
        }
    }

    public static Resolution mined(Inclusion inclusion, boolean succeeded, Instant at) {
        return new Resolution(succeeded ? TransactionStatus.MINED : TransactionStatus.REVERTED, Optional.of(inclusion),
                Optional.empty(), at);
    }

    public static Resolution canceled(Inclusion inclusion, String reason, Instant at) {
        return new Resolution(TransactionStatus.CANCELED, Optional.of(inclusion), Optional.of(reason), at);
    }

    public static Resolution consumedElsewhere(String reason, Instant at) {
        return new Resolution(TransactionStatus.NONCE_CONSUMED_ELSEWHERE, Optional.empty(), Optional.of(reason), at);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}

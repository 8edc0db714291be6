package dev.purser.settlement.ledger;

import dev.purser.settlement.common.Money;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;

/** A hold on an agent's funds and its credential's daily budget, and what became of it. */
public record Authorization(String id, String agentId, String credentialId, String merchant, Money amount,
        Money settledAmount, Status status, String declineCode, String purpose, Map<String, String> metadata,
        LocalDate day, Instant createdAt, Instant expiresAt, Instant settledAt, Instant voidedAt, String settlementId) {

    /** The life of a hold: pending approval or authorized, then settled, voided, expired or declined, once. */
    public enum Status {
        PENDING_APPROVAL, AUTHORIZED, SETTLED, VOIDED, EXPIRED, DECLINED;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Status fromId(String id) {
            return valueOf(id.toUpperCase(java.util.Locale.ROOT));
        }

        /** Whether the hold still counts against the caps. */
        public boolean open() {
            return this == PENDING_APPROVAL || this == AUTHORIZED;
        }
    }
}

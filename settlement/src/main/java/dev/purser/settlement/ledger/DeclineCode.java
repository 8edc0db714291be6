package dev.purser.settlement.ledger;

import java.util.Locale;

/** Why a pre-authorization was refused: the exact codes of API.md. */
public enum DeclineCode {
    AGENT_FROZEN,
    PER_TRANSACTION_LIMIT_EXCEEDED,
    MERCHANT_NOT_ALLOWED,
    VELOCITY_LIMIT_EXCEEDED,
    DAILY_LIMIT_EXCEEDED,
    INSUFFICIENT_FUNDS;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}

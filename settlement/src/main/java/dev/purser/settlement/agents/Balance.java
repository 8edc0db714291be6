package dev.purser.settlement.agents;

import dev.purser.settlement.common.Money;

/**
 * An agent's money: on-chain USDC (last read), held by open authorizations, settled but not yet
 * confirmed on-chain, and what remains available to new authorizations.
 */
public record Balance(Money onchain, Money held, Money pendingSettlement) {

    public Money available() {
        return onchain.minusOrZero(held.plus(pendingSettlement));
    }
}

package dev.purser.settlement.agents;

/** Published after a transaction that changed what an agent has available (a hold, a settle, a release). */
public record AvailableBalanceChanged(String agentId) {}

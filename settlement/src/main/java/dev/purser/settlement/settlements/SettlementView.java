package dev.purser.settlement.settlements;

import java.time.Instant;
import java.util.List;

/** A settlement as API.md shows it. */
public record SettlementView(String id, String agentId, String from, String merchant, String amount,
        List<String> authorizationIds, String nonce, String status, String txHash, Long blockNumber, Integer logIndex,
        String failureReason, Instant createdAt, Instant submittedAt, Instant confirmedAt, Instant finalizedAt, String kind) {}

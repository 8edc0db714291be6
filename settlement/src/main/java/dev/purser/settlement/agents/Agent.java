package dev.purser.settlement.agents;

import java.time.Instant;
import java.util.Map;

/** An agent: its own wallet (HD index and address), its status, and who it is. */
public record Agent(String id, String name, String status, String frozenReason, long walletIndex, String walletAddress,
        Instant createdAt, Map<String, String> metadata) {

    public boolean frozen() {
        return "frozen".equals(status);
    }
}

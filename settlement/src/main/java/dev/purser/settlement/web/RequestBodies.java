package dev.purser.settlement.web;

import java.util.List;
import java.util.Map;

/**
 * The JSON request bodies of API.md, as types for the OpenAPI document. Controllers read bodies
 * strictly through {@link JsonBody}; these records only describe them.
 */
public final class RequestBodies {

    private RequestBodies() {}

    public record PreAuthorize(String amount, String merchant, String purpose, Map<String, String> metadata,
            Integer expiresIn) {}

    public record Settle(String amount) {}

    public record CreateAgent(String name, Map<String, String> metadata) {}

    public record Freeze(String reason) {}

    public record Decline(String reason) {}

    public record AgentCredential(String label, String perTransactionLimit, String dailyLimit,
            List<String> merchantAllowlist, String approvalThreshold, Integer maxAuthorizationsPerMinute,
            String expiresAt) {}

    public record OperatorCredential(String scope, String label) {}
}

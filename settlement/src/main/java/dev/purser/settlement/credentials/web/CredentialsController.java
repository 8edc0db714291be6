package dev.purser.settlement.credentials.web;

import dev.purser.settlement.agents.AgentService;
import dev.purser.settlement.common.Money;
import dev.purser.settlement.credentials.CapsChange;
import dev.purser.settlement.credentials.Credential;
import dev.purser.settlement.credentials.CredentialService;
import dev.purser.settlement.credentials.NewAgentCredential;
import dev.purser.settlement.web.ApiException;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Envelope;
import dev.purser.settlement.web.JsonBody;
import dev.purser.settlement.web.Scope;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import dev.purser.settlement.web.RequestBodies;
import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.databind.JsonNode;

/** Operators issue, list, re-cap and revoke credentials. */
@RestController
class CredentialsController {

    static final int ALLOWLIST_MAX = 1000;
    static final long VELOCITY_MAX = 100_000;
    private static final Set<String> CAP_FIELDS = Set.of("label", "per_transaction_limit", "daily_limit",
            "merchant_allowlist", "approval_threshold", "max_authorizations_per_minute", "expires_at");

    private final CredentialService credentials;
    private final AgentService agents;
    private final Clock clock;

    CredentialsController(CredentialService credentials, AgentService agents, Clock clock) {
        this.credentials = credentials;
        this.agents = agents;
        this.clock = clock;
    }

    /** The Credential of API.md; {@code secret} only in the response that creates it. */
    record CredentialView(String id, String agentId, String scope, String label, String status,
            String perTransactionLimit, String dailyLimit, List<String> merchantAllowlist, String approvalThreshold,
            Integer maxAuthorizationsPerMinute, Instant expiresAt, Instant createdAt, Instant revokedAt, String secret) {}

    /** The same without the secret field at all, for every other response. */
    record CredentialListView(String id, String agentId, String scope, String label, String status,
            String perTransactionLimit, String dailyLimit, List<String> merchantAllowlist, String approvalThreshold,
            Integer maxAuthorizationsPerMinute, Instant expiresAt, Instant createdAt, Instant revokedAt) {}

    @PostMapping("/v1/agents/{agentId}/credentials")
    ResponseEntity<Envelope.Success<CredentialView>> issueForAgent(Caller caller, @PathVariable String agentId,
            @Schema(implementation = RequestBodies.AgentCredential.class) @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody body = JsonBody.of(node, CAP_FIELDS);
        Money perTx = body.requiredAmount("per_transaction_limit");
        Money daily = body.requiredAmount("daily_limit");
        Instant expiresAt = body.optionalTimestamp("expires_at").orElse(null);
        requireFuture(expiresAt);
        NewAgentCredential caps = new NewAgentCredential(body.optionalString("label", 200).orElse(""), perTx, daily,
                body.optionalAddressList("merchant_allowlist", ALLOWLIST_MAX).orElse(null),
                body.optionalAmount("approval_threshold").orElse(null),
                body.optionalInteger("max_authorizations_per_minute", 1, VELOCITY_MAX).map(Long::intValue).orElse(null),
                expiresAt);
        agents.find(agentId).orElseThrow(() -> ApiException.notFound("agent"));
        CredentialService.Issued issued = credentials.issueForAgent(caller, agentId, caps);
        return ResponseEntity.status(HttpStatus.CREATED).body(Envelope.of(withSecret(issued)));
    }

    @GetMapping("/v1/agents/{agentId}/credentials")
    Envelope.Success<Envelope.Page<CredentialListView>> listForAgent(Caller caller, @PathVariable String agentId) {
        caller.requireAdmin();
        agents.find(agentId).orElseThrow(() -> ApiException.notFound("agent"));
        return Envelope.of(new Envelope.Page<>(credentials.listForAgent(agentId).stream().map(this::view).toList(), null));
    }

    @PostMapping("/v1/credentials")
    ResponseEntity<Envelope.Success<CredentialView>> issueOperator(Caller caller,
            @Schema(implementation = RequestBodies.OperatorCredential.class) @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody body = JsonBody.of(node, Set.of("scope", "label"));
        String scope = body.requiredString("scope", 10);
        if (!scope.equals("admin") && !scope.equals("audit")) {
            throw ApiException.badRequest("invalid_field", "scope",
                    "'scope' must be \"admin\" or \"audit\"; agent credentials are issued under /v1/agents/{id}/credentials.");
        }
        String label = body.requiredString("label", 200);
        return ResponseEntity.status(HttpStatus.CREATED)
                .body(Envelope.of(withSecret(credentials.issueOperatorCredential(caller, Scope.fromId(scope), label))));
    }

    @PatchMapping("/v1/credentials/{id}")
    Envelope.Success<CredentialListView> patch(Caller caller, @PathVariable String id,
            @Schema(implementation = RequestBodies.AgentCredential.class) @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody body = JsonBody.of(node, CAP_FIELDS);
        for (String required : List.of("per_transaction_limit", "daily_limit", "label")) {
            if (body.isNull(required)) {
                throw ApiException.badRequest(required.equals("label") ? "invalid_field" : "invalid_amount", required,
                        "'" + required + "' cannot be cleared.");
            }
        }
        Optional<Instant> expiresAt = body.optionalTimestamp("expires_at");
        expiresAt.ifPresent(this::requireFuture);
        Credential existing = credentials.find(id).orElseThrow(() -> ApiException.notFound("credential"));
        if (existing.scope() != Scope.AGENT && (body.has("per_transaction_limit") || body.has("daily_limit")
                || body.has("merchant_allowlist") || body.has("approval_threshold") || body.has("max_authorizations_per_minute"))) {
            throw new ApiException(422, "caps_not_applicable", "Only agent credentials carry spending caps.");
        }
        CapsChange change = new CapsChange(
                body.optionalString("label", 200).orElse(null),
                body.optionalAmount("per_transaction_limit").orElse(null),
                body.optionalAmount("daily_limit").orElse(null),
                body.has("merchant_allowlist") ? body.optionalAddressList("merchant_allowlist", ALLOWLIST_MAX) : null,
                body.has("approval_threshold") ? body.optionalAmount("approval_threshold") : null,
                body.has("max_authorizations_per_minute")
                        ? body.optionalInteger("max_authorizations_per_minute", 1, VELOCITY_MAX).map(Long::intValue) : null,
                body.has("expires_at") ? expiresAt : null);
        return Envelope.of(view(credentials.patch(caller, id, change).orElseThrow(() -> ApiException.notFound("credential"))));
    }

    @DeleteMapping("/v1/credentials/{id}")
    Envelope.Success<CredentialListView> revoke(Caller caller, @PathVariable String id) {
        caller.requireAdmin();
        return Envelope.of(view(credentials.revoke(caller, id).orElseThrow(() -> ApiException.notFound("credential"))));
    }

    private void requireFuture(Instant expiresAt) {
        if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
            throw ApiException.badRequest("invalid_field", "expires_at", "'expires_at' must be in the future.");
        }
    }

    private CredentialView withSecret(CredentialService.Issued issued) {
        Credential c = issued.credential();
        CredentialListView v = view(c);
        return new CredentialView(v.id(), v.agentId(), v.scope(), v.label(), v.status(), v.perTransactionLimit(),
                v.dailyLimit(), v.merchantAllowlist(), v.approvalThreshold(), v.maxAuthorizationsPerMinute(),
                v.expiresAt(), v.createdAt(), v.revokedAt(), issued.secret().reveal());
    }

    private CredentialListView view(Credential c) {
        return new CredentialListView(c.id(), c.agentId(), c.scope().id(), c.label(), c.status(clock.instant()),
                str(c.perTransactionLimit()), str(c.dailyLimit()), c.merchantAllowlist(), str(c.approvalThreshold()),
                c.maxAuthorizationsPerMinute(), c.expiresAt(), c.createdAt(), c.revokedAt());
    }

    private static String str(Money m) {
        return m == null ? null : m.toString();
    }

}

package dev.purser.settlement.ledger.web;

import dev.purser.settlement.ledger.Authorization;
import dev.purser.settlement.ledger.AuthorizationService;
import dev.purser.settlement.ledger.Outcomes;
import dev.purser.settlement.ledger.PreAuthorization;
import dev.purser.settlement.settlements.SettlementQueue;
import dev.purser.settlement.web.ApiException;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Envelope;
import dev.purser.settlement.web.JsonBody;
import dev.purser.settlement.web.Pages;
import dev.purser.settlement.web.Scope;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import dev.purser.settlement.web.RequestBodies;
import io.swagger.v3.oas.annotations.media.Schema;
import tools.jackson.databind.JsonNode;

/** Agents pre-authorize, settle and void; operators approve or decline large spends. */
@RestController
class AuthorizationsController {

    private final AuthorizationService authorizations;
    private final SettlementQueue settlements;

    AuthorizationsController(AuthorizationService authorizations, SettlementQueue settlements) {
        this.authorizations = authorizations;
        this.settlements = settlements;
    }

    /** The Authorization of API.md. */
    record AuthorizationView(String id, String agentId, String credentialId, String merchant, String amount,
            String settledAmount, String status, String declineCode, String purpose, Map<String, String> metadata,
            Instant createdAt, Instant expiresAt, Instant settledAt, Instant voidedAt, SettlementRef settlement) {}

    record SettlementRef(String id, String status, String txHash) {}

    @PostMapping("/v1/authorizations")
    ResponseEntity<Envelope.Success<AuthorizationView>> preAuthorize(Caller caller,
            @Schema(implementation = RequestBodies.PreAuthorize.class) @RequestBody(required = false) JsonNode node) {
        String agentId = caller.requireAgent();
        JsonBody body = JsonBody.of(node, Set.of("amount", "merchant", "purpose", "metadata", "expires_in"));
        PreAuthorization request = new PreAuthorization(
                body.requiredAmount("amount"),
                body.requiredAddress("merchant"),
                body.optionalString("purpose", 500).orElse(null),
                body.optionalFlatStringMap("metadata", 20, 100, 500).orElse(null),
                Duration.ofSeconds(body.optionalInteger("expires_in", 60, 604_800)
                        .orElse(PreAuthorization.EXPIRES_IN_DEFAULT.toSeconds())));
        return switch (authorizations.preAuthorize(caller, request)) {
            case Outcomes.Held held -> ResponseEntity.status(HttpStatus.CREATED).body(Envelope.of(view(held.authorization())));
            case Outcomes.Declined d -> throw new ApiException(402, d.code().code(), d.message(), d.details());
        };
    }

    @GetMapping("/v1/authorizations/{id}")
    Envelope.Success<AuthorizationView> get(Caller caller, @PathVariable String id) {
        String ownAgent = readerAgent(caller);
        Authorization a = authorizations.find(id)
                .filter(x -> ownAgent == null || x.agentId().equals(ownAgent))
                .orElseThrow(() -> ApiException.notFound("authorization"));
        return Envelope.of(view(a));
    }

    @GetMapping("/v1/authorizations")
    Envelope.Success<Envelope.Page<AuthorizationView>> list(Caller caller, @RequestParam(required = false) String status,
            @RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
        String ownAgent = readerAgent(caller);
        return Envelope.of(page(ownAgent, parseStatus(status), limit, cursor));
    }

    @PostMapping("/v1/authorizations/{id}/settle")
    Envelope.Success<AuthorizationView> settle(Caller caller, @PathVariable String id,
            @Schema(implementation = RequestBodies.Settle.class) @RequestBody(required = false) JsonNode node) {
        caller.requireAgent();
        JsonBody body = JsonBody.of(node, Set.of("amount"));
        return Envelope.of(view(changed(authorizations.settle(caller, id, body.optionalAmount("amount")),
                "authorization_not_settleable", "The authorization cannot be settled in its current status.")));
    }

    @PostMapping("/v1/authorizations/{id}/void")
    Envelope.Success<AuthorizationView> voidHold(Caller caller, @PathVariable String id, @RequestBody(required = false) JsonNode node) {
        caller.requireAgent();
        JsonBody.of(node, Set.of());
        return Envelope.of(view(changed(authorizations.voidHold(caller, id),
                "authorization_not_voidable", "Only an authorized or pending_approval authorization can be voided.")));
    }

    @GetMapping("/v1/approvals")
    Envelope.Success<Envelope.Page<AuthorizationView>> approvals(Caller caller, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        caller.requireAdmin();
        return Envelope.of(page(null, Authorization.Status.PENDING_APPROVAL, limit, cursor));
    }

    @PostMapping("/v1/authorizations/{id}/approve")
    Envelope.Success<AuthorizationView> approve(Caller caller, @PathVariable String id, @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody.of(node, Set.of());
        return Envelope.of(view(changed(authorizations.approve(caller, id),
                "authorization_not_pending", "Only a pending_approval authorization can be approved.")));
    }

    @PostMapping("/v1/authorizations/{id}/decline")
    Envelope.Success<AuthorizationView> decline(Caller caller, @PathVariable String id,
            @Schema(implementation = RequestBodies.Decline.class) @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        String reason = JsonBody.of(node, Set.of("reason")).optionalString("reason", 500).orElse(null);
        return Envelope.of(view(changed(authorizations.declinePending(caller, id, reason),
                "authorization_not_pending", "Only a pending_approval authorization can be declined.")));
    }

    private static Authorization changed(Outcomes.ChangeResult result, String wrongStatusCode, String wrongStatusMessage) {
        return switch (result) {
            case Outcomes.Changed c -> c.authorization();
            case Outcomes.NotFound n -> throw ApiException.notFound("authorization");
            case Outcomes.WrongStatus w -> throw new ApiException(409, wrongStatusCode, wrongStatusMessage,
                    Map.of("status", w.status().id()));
            case Outcomes.ExceedsAuthorization e -> throw new ApiException(422, "amount_exceeds_authorization",
                    "The settle amount is above the authorized amount.",
                    Map.of("field", "amount", "authorized_amount", e.authorization().amount().toString()));
        };
    }

    /** Agents read their own authorizations; operators and auditors read all. */
    private static String readerAgent(Caller caller) {
        return caller.scope() == Scope.AGENT ? caller.agentId() : null;
    }

    private Envelope.Page<AuthorizationView> page(String agentId, Authorization.Status status, Integer limit, String cursor) {
        int n = Pages.limit(limit);
        List<Authorization> rows = authorizations.list(agentId, status, Pages.decode(cursor), n + 1);
        String next = rows.size() > n ? Pages.encode(rows.get(n - 1).createdAt(), rows.get(n - 1).id()) : null;
        return new Envelope.Page<>(rows.stream().limit(n).map(this::view).toList(), next);
    }

    private static Authorization.Status parseStatus(String status) {
        if (status == null || status.isEmpty()) {
            return null;
        }
        try {
            return Authorization.Status.fromId(status);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "invalid_parameter", "'status' is not an authorization status.", Map.of("field", "status"));
        }
    }

    private AuthorizationView view(Authorization a) {
        SettlementRef settlement = a.settlementId() == null ? null : settlements.summary(a.settlementId())
                .map(s -> new SettlementRef(s.id(), s.status(), s.txHash()))
                .orElse(null);
        return new AuthorizationView(a.id(), a.agentId(), a.credentialId(), a.merchant(), a.amount().toString(),
                a.settledAmount() == null ? null : a.settledAmount().toString(), a.status().id(), a.declineCode(),
                a.purpose(), a.metadata(), a.createdAt(), a.expiresAt(), a.settledAt(), a.voidedAt(), settlement);
    }
}

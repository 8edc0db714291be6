package dev.purser.settlement.settlements.web;

import dev.purser.settlement.settlements.SettlementService;
import dev.purser.settlement.settlements.SettlementView;
import dev.purser.settlement.web.ApiException;
import dev.purser.settlement.web.Caller;
import dev.purser.settlement.web.Envelope;
import dev.purser.settlement.web.JsonBody;
import dev.purser.settlement.web.Pages;
import dev.purser.settlement.web.Scope;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/** Settlements: agents read their own; operators and auditors read all, with proofs; operators retry. */
@RestController
class SettlementsController {

    private static final Set<String> STATUSES = Set.of("queued", "submitted", "confirmed", "finalized", "failed");

    private final SettlementService settlements;

    SettlementsController(SettlementService settlements) {
        this.settlements = settlements;
    }

    @GetMapping("/v1/settlements/{id}")
    Envelope.Success<SettlementView> get(Caller caller, @PathVariable String id) {
        SettlementView s = settlements.find(id)
                .filter(v -> caller.scope() != Scope.AGENT || v.agentId().equals(caller.agentId()))
                .orElseThrow(() -> ApiException.notFound("settlement"));
        return Envelope.of(s);
    }

    @GetMapping("/v1/settlements")
    Envelope.Success<Envelope.Page<SettlementView>> list(Caller caller, @RequestParam(name = "agent_id", required = false) String agentId,
            @RequestParam(required = false) String status, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        caller.requireAuditReader();
        if (status != null && !STATUSES.contains(status)) {
            throw new ApiException(400, "invalid_parameter", "'status' is not a settlement status.", Map.of("field", "status"));
        }
        int n = Pages.limit(limit);
        List<SettlementView> rows = settlements.list(agentId, status, Pages.decode(cursor), n + 1);
        String next = rows.size() > n ? Pages.encode(rows.get(n - 1).createdAt(), rows.get(n - 1).id()) : null;
        return Envelope.of(new Envelope.Page<>(rows.stream().limit(n).toList(), next));
    }

    @GetMapping("/v1/settlements/{id}/proof")
    Envelope.Success<SettlementService.Proof> proof(Caller caller, @PathVariable String id,
            @RequestParam(name = "authorization_id") String authorizationId) {
        caller.requireAuditReader();
        return switch (settlements.proof(id, authorizationId)) {
            case SettlementService.ProofFound f -> Envelope.of(f.proof());
            case SettlementService.ProofNotFound n -> throw ApiException.notFound("settlement holding that authorization");
            case SettlementService.NotFormed n -> throw new ApiException(409, "settlement_not_formed",
                    "The settlement is still collecting authorizations; its nonce is not fixed yet.");
        };
    }

    @PostMapping("/v1/settlements/{id}/retry")
    Envelope.Success<SettlementView> retry(Caller caller, @PathVariable String id, @RequestBody(required = false) JsonNode node) {
        caller.requireAdmin();
        JsonBody.of(node, Set.of());
        return switch (settlements.retry(caller, id)) {
            case SettlementService.Retried r -> Envelope.of(r.settlement());
            case SettlementService.RetryNotFound n -> throw ApiException.notFound("settlement");
            case SettlementService.NotFailed f -> throw new ApiException(409, "settlement_not_failed",
                    "Only a failed settlement can be retried.", Map.of("status", f.status()));
        };
    }
}
